/* Fixbook not-found page: suggests the records nearest to the address that was asked for,
   from the search index (so it works from file:// and in the single-file site too). */
(function () {
  "use strict";

  // The engine, links and element helper of the search UI, which loads first.
  var S = window.FixbookSearch, UI = window.FixbookSearchUI;
  if (!S || !UI) return;
  var open = UI.open, href = UI.href, el = UI.el, hashRoutes = UI.hashRoutes;

  function result(r) {
    var li = el("li", "record-card");
    var a = li.appendChild(el("a", "record-link"));
    a.href = href(r.path);
    a.appendChild(el("code", "code result-code", r.code));
    a.appendChild(document.createTextNode(" "));
    a.appendChild(el("span", "record-title", r.title));
    li.appendChild(el("p", "record-summary", r.summary));
    li.appendChild(el("p", "record-meta")).appendChild(el("span", null, r.productName));
    return li;
  }

  /* --- The not-found page: the records nearest to the address asked for. --- */
  function bareCode(s) {
    s = s.toLowerCase().replace(/^0x/, "");
    return s.replace(/^0+(?=.)/, "");
  }
  function suggestions() {
    var box = document.querySelector("[data-fixbook-suggestions]");
    if (!box || box.hasAttribute("data-ready")) return;
    box.setAttribute("data-ready", "");
    var asked = hashRoutes ? location.hash.slice(2).split("#")[0] : location.pathname;
    try { asked = decodeURIComponent(asked); } catch (e) { /* keep it as it is */ }
    var parts = asked.split("/").filter(function (p) { return p && !/\.html?$/.test(p); });
    if (!parts.length) return;
    var last = parts[parts.length - 1], product = parts.length > 1 ? parts[parts.length - 2] : "";
    var want = bareCode(last), budget = Math.max(1, Math.floor(want.length / 3));
    var query = parts.slice(-2).join(" ").replace(/[-_]+/g, " ");
    open().paths().then(function (paths) {
      // Codes nearest to the last part of the address (case, 0x and leading zeros aside),
      // those of the same product first; then what a search for the address's words finds.
      var near = [];
      paths.forEach(function (p, doc) {
        var segs = p.split("/").filter(Boolean);
        var d = S.distance(want, bareCode(segs[segs.length - 1] || ""), budget);
        if (d <= budget) near.push({ doc: doc, score: d - (segs[0] === product ? 0.5 : 0) });
      });
      near.sort(function (a, b) { return a.score - b.score || a.doc - b.doc; });
      return open().search(query).then(function (hits) {
        var docs = near.slice(0, 5).map(function (n) { return n.doc; });
        hits.forEach(function (h) { if (docs.length < 8 && docs.indexOf(h.doc) < 0) docs.push(h.doc); });
        return open().meta(docs);
      });
    }).then(function (shown) {
      if (!shown.length) return;
      var list = box.querySelector("ul");
      shown.forEach(function (r) { list.appendChild(result(r)); });
      box.hidden = false;
    }).catch(function () { /* no index: the page keeps its links */ });
  }
  suggestions();
  document.addEventListener("fixbook:page", suggestions);
})();
