/* Fixbook search analysis: the browser twin of src/search/analyze.rs.
   Specification: docs/search-analysis.md. Expected output: tests/search/analysis-vectors.json.
   A classic script (no modules), so it runs from file:// too. */
(function (root) {
  "use strict";

  var MARK = /\p{M}/gu;
  var TOKEN_CHAR = /[\p{Alphabetic}\p{N}_]/u;
  var LETTERS = /^\p{Alphabetic}+$/u;
  var DIGITS = /^[0-9]+$/;
  var HEX = /^[0-9a-f]{1,16}$/;
  var U64_MAX = (1n << 64n) - 1n;
  var CODE_FILLERS = ["error", "code", "stop", "status", "hresult", "exception", "number", "err"];

  function fold(text) {
    return text.normalize("NFKD").replace(MARK, "").toLowerCase();
  }

  function isDigit(c) {
    return c !== undefined && c >= "0" && c <= "9";
  }

  function tokens(folded) {
    var chars = Array.from(folded);
    var out = [];
    var current = null;
    for (var i = 0; i < chars.length; i++) {
      var c = chars[i];
      var prev = chars[i - 1];
      var digitNext = isDigit(chars[i + 1]);
      var inside = TOKEN_CHAR.test(c) ||
        (c === "." && current !== null && isDigit(prev) && digitNext) ||
        (c === "-" && current === null && digitNext && !(prev !== undefined && TOKEN_CHAR.test(prev)));
      if (inside) {
        current = current === null ? c : current + c;
      } else if (current !== null) {
        out.push(current);
        current = null;
      }
    }
    if (current !== null) out.push(current);
    return out;
  }

  function codeTerm(value) {
    return "0x" + value.toString(16);
  }

  function codeValues(token, mode) {
    if (token.slice(0, 2) === "0x") {
      var hex = token.slice(2);
      return HEX.test(hex) ? [BigInt("0x" + hex)] : [];
    }
    if (token[0] === "-") {
      var digits = token.slice(1);
      if (digits.length === 0 || digits.length > 10 || !DIGITS.test(digits)) return [];
      var n = BigInt(digits);
      return n >= 1n && n <= (1n << 31n) ? [(1n << 32n) - n] : [];
    }
    if (DIGITS.test(token)) {
      var values = [];
      var dec = BigInt(token);
      if (dec <= U64_MAX) values.push(dec);
      if (mode !== "text" && HEX.test(token)) {
        var h = BigInt("0x" + token);
        if (values.indexOf(h) < 0) values.push(h);
      }
      return values;
    }
    if (token.length >= 3 && /[0-9]/.test(token) && /[a-f]/.test(token) && HEX.test(token)) {
      return [BigInt("0x" + token)];
    }
    return [];
  }

  function stem(word) {
    if (Array.from(word).length < 4 || !LETTERS.test(word)) return word;
    var ends = function (s) { return word.slice(-s.length) === s; };
    if (ends("ies") && !ends("eies") && !ends("aies")) return word.slice(0, -3) + "y";
    if (ends("es") && !ends("aes") && !ends("ees") && !ends("oes")) return word.slice(0, -1);
    if (ends("s") && !ends("us") && !ends("ss")) return word.slice(0, -1);
    return word;
  }

  function wordTerm(part, pos) {
    return LETTERS.test(part) ? { text: stem(part), kind: "word", pos: pos } : { text: part, kind: "ident", pos: pos };
  }

  /** The terms of `text`; mode is "text", "code" or "query". */
  function analyze(text, mode) {
    var terms = [];
    tokens(fold(text)).forEach(function (token, pos) {
      var values = codeValues(token, mode);
      if (values.length) {
        values.forEach(function (v) { terms.push({ text: codeTerm(v), kind: "code", pos: pos }); });
      } else if (token.indexOf("_") >= 0) {
        var whole = token.replace(/^_+|_+$/g, "");
        if (whole) terms.push({ text: whole, kind: "ident", pos: pos });
        var parts = whole.split("_").filter(Boolean);
        if (parts.length > 1) parts.forEach(function (p) { terms.push(wordTerm(p, pos)); });
      } else if (token[0] !== "-") {
        terms.push(wordTerm(token, pos));
      }
    });
    if (mode === "query" && terms.some(function (t) { return t.kind === "code"; })) {
      terms = terms.filter(function (t) { return !(t.kind === "word" && CODE_FILLERS.indexOf(t.text) >= 0); });
    }
    return terms;
  }

  var api = { analyze: analyze, fold: fold, tokens: tokens, stem: stem, codeValues: codeValues, codeTerm: codeTerm };
  root.FixbookAnalyze = api;
  if (typeof module === "object" && module.exports) module.exports = api;
})(typeof self !== "undefined" ? self : this);
