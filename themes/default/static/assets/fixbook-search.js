/* Fixbook search engine: reads the index the build wrote into search/ (docs/search-index.md).
   Index files are classic scripts that call FixbookSearch.loaded(key, data), so this works
   from file:// as well as over http. Needs FixbookAnalyze (fixbook-analyze.js). */
(function (root) {
  "use strict";

  var A = root.FixbookAnalyze;
  var B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var DIGIT = {};
  for (var i = 0; i < 64; i++) DIGIT[B64.charCodeAt(i)] = i;
  var MAX_PREFIX_SHARDS = 2;
  var MAX_REFINED = 3;
  var FORMAT = 2;

  var arrived = {};
  var waiting = {};

  /* Called by every index file. */
  function loaded(key, value) {
    arrived[key] = value;
  }

  function domLoader(url) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = url;
      s.async = true;
      s.onload = resolve;
      s.onerror = function () { reject(new Error("could not load " + url)); };
      document.head.appendChild(s);
    });
  }

  /* Reads VLQ numbers (5 bits per character, low first, 32 = more follows) from `s`. */
  function Reader(s, at) {
    this.s = s;
    this.at = at || 0;
  }
  Reader.prototype.num = function () {
    var value = 0, shift = 0, d;
    do {
      d = DIGIT[this.s.charCodeAt(this.at++)];
      if (d === undefined) throw new Error("corrupt search index");
      value += (d & 31) * Math.pow(2, shift);
      shift += 5;
    } while (d & 32);
    return value;
  };
  Reader.prototype.text = function (n) {
    var t = this.s.substr(this.at, n);
    this.at += n;
    return t;
  };

  /* `n` (doc, impact) pairs from r, doc numbers delta-coded. */
  function postings(r, n) {
    var docs = new Array(n), impacts = new Array(n), doc = 0;
    for (var i = 0; i < n; i++) {
      doc = i === 0 ? r.num() : doc + r.num();
      docs[i] = doc;
      impacts[i] = r.num();
    }
    return { docs: docs, impacts: impacts };
  }

  function TermShard(value) {
    var dict = new Reader(value[0]), prev = "";
    this.terms = [];
    this.entries = [];
    this.post = value[1];
    var offset = 0;
    while (dict.at < dict.s.length) {
      var shared = dict.num(), term = prev.slice(0, shared) + dict.text(dict.num());
      var df = dict.num(), len = dict.num();
      this.terms.push(term);
      this.entries.push({ df: df, at: offset });
      offset += len;
      prev = term;
    }
  }
  TermShard.prototype.find = function (term) {
    var lo = 0, hi = this.terms.length - 1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1, t = this.terms[mid];
      if (t === term) return mid;
      if (t < term) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
  };
  TermShard.prototype.postings = function (i) {
    var e = this.entries[i];
    if (!e.list) e.list = postings(new Reader(this.post, e.at), e.df);
    return e.list;
  };

  /* A typo shard: words with their document frequency and best records. */
  function typoShard(value) {
    var r = new Reader(value), words = [];
    while (r.at < r.s.length) {
      var word = r.text(r.num()), df = r.num();
      words.push({ word: word, df: df, list: postings(r, r.num()) });
    }
    return words;
  }

  function fnv1a(s) {
    var h = 0x811c9dc5;
    for (var i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
    return h;
  }

  function typoKeys(word, prefixLength) {
    var p = Array.from(word).slice(0, prefixLength), keys = [p.join("")];
    for (var i = 0; i < p.length; i++) {
      var k = p.slice(0, i).concat(p.slice(i + 1)).join("");
      if (keys.indexOf(k) < 0) keys.push(k);
    }
    return keys;
  }

  /* Optimal string alignment distance (adjacent swaps cost one), or max + 1 when larger. */
  function distance(a, b, max) {
    a = Array.from(a);
    b = Array.from(b);
    if (Math.abs(a.length - b.length) > max) return max + 1;
    var rows = [];
    for (var i = 0; i <= a.length; i++) {
      rows.push([i]);
      for (var j = 1; j <= b.length; j++) {
        if (i === 0) { rows[0].push(j); continue; }
        var d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2][j - 2] + 1);
        rows[i].push(d);
      }
    }
    return Math.min(rows[a.length][b.length], max + 1);
  }

  function allowedEdits(word) {
    var n = Array.from(word).length;
    return n >= 8 ? 2 : n >= 4 ? 1 : 0;
  }

  /* Opens the index in the folder `base` (ending in "/"); `load(url)` defaults to a script tag. */
  function open(base, load) {
    load = load || domLoader;
    var shards = {};

    function get(key, file) {
      if (key in arrived) return Promise.resolve(arrived[key]);
      if (!waiting[key]) {
        waiting[key] = load(base + file).then(function () {
          if (!(key in arrived)) throw new Error("search index file " + file + " did not load");
          return arrived[key];
        }, function (e) { delete waiting[key]; throw e; });
      }
      return waiting[key];
    }

    var ready = get("manifest", "manifest.js").then(function (m) {
      if (m.format !== FORMAT) throw new Error("the search index (format " + m.format + ") is newer than this page's script; reload the page");
      return m;
    });

    function termShard(m, n) {
      return get("t" + n, "t" + n + "." + m.terms.hashes[n] + ".js").then(function (v) {
        return shards["t" + n] || (shards["t" + n] = new TermShard(v));
      });
    }
    function typo(m, n) {
      return get("y" + n, "y" + n + "." + m.typo.hashes[n] + ".js").then(function (v) {
        return shards["y" + n] || (shards["y" + n] = typoShard(v));
      });
    }
    function shardOf(m, term) {
      var first = m.terms.first, lo = 0, hi = first.length - 1;
      while (lo < hi) {
        var mid = (lo + hi + 1) >> 1;
        if (first[mid] <= term) lo = mid; else hi = mid - 1;
      }
      return lo;
    }

    /* Every record that matches `query`, best first: [{doc, score}]. */
    function search(query) {
      return ready.then(function (m) {
        var terms = A.analyze(query, "query");
        var typing = !/\s$/.test(query);
        var last = terms.length ? terms[terms.length - 1].pos : -1;
        var whole = A.tokens(A.fold(query)).join(" ");
        var plan = terms.map(function (t, i) {
          var p = { term: t, shard: shardOf(m, t.text), prefix: [], typo: [] };
          // The parts of an identifier (err, cert... of err_cert_revoked) match only exactly:
          // the identifier itself is completed and its words are no typos.
          if (i > 0 && terms[i - 1].pos === t.pos && t.kind === "word" && terms[i - 1].kind !== "code") return p;
          if (typing && t.pos === last && t.kind !== "code" && Array.from(t.text).length >= m.prefix) {
            for (var s = p.shard; s < m.terms.first.length && s < p.shard + MAX_PREFIX_SHARDS; s++) {
              if (s > p.shard && m.terms.first[s].slice(0, t.text.length) > t.text) break;
              p.prefix.push(s);
            }
          }
          if (t.kind === "word" && m.typo.shards && Array.from(t.text).length >= m.typo.min) {
            typoKeys(t.text, m.typo.prefix).forEach(function (k) {
              var n = fnv1a(k) % m.typo.shards;
              if (p.typo.indexOf(n) < 0) p.typo.push(n);
            });
          }
          return p;
        });
        var wholeTerm = whole.indexOf(" ") > 0 ? "=" + whole : null;
        var loads = [];
        plan.forEach(function (p) {
          loads.push(termShard(m, p.shard));
          p.prefix.forEach(function (s) { loads.push(termShard(m, s)); });
          p.typo.forEach(function (n) { loads.push(typo(m, n)); });
        });
        if (wholeTerm) loads.push(termShard(m, shardOf(m, wholeTerm)));
        return Promise.all(loads).then(function () {
          // The typo table holds a word's best records only. For a misspelt word (found
          // nowhere) whose corrections are common, fetch their full postings: one more trip.
          var more = [];
          plan.forEach(function (p) {
            if (!p.typo.length || exact(m, p.term.text)) return;
            near(p).filter(function (w) { return w.df > w.list.docs.length; }).slice(0, MAX_REFINED).forEach(function (w) {
              more.push(termShard(m, shardOf(m, w.word)));
            });
          });
          return Promise.all(more);
        }).then(function () { return score(m, plan, wholeTerm); });
      });
    }

    /* Loaded postings of `text`, or null. */
    function exact(m, text) {
      var s = shards["t" + shardOf(m, text)], i = s ? s.find(text) : -1;
      return i < 0 ? null : { df: s.entries[i].df, list: s.postings(i) };
    }

    /* Words of the typo table within reach of the plan's word, nearest and commonest first. */
    function near(p) {
      var t = p.term.text, max = allowedEdits(t), seen = {}, out = [];
      p.typo.forEach(function (n) {
        shards["y" + n].forEach(function (w) {
          if (seen[w.word] || w.word === t) return;
          seen[w.word] = true;
          var d = distance(t, w.word, max);
          if (d <= max) out.push({ word: w.word, df: w.df, list: w.list, d: d });
        });
      });
      return out.sort(function (a, b) { return a.d - b.d || b.df - a.df; });
    }

    function score(m, plan, wholeTerm) {
      var scores = new Map();
      function add(list, weight) {
        for (var i = 0; i < list.docs.length; i++) {
          var d = list.docs[i];
          scores.set(d, (scores.get(d) || 0) + weight * list.impacts[i]);
        }
      }
      /* Several prefix completions or near spellings of one word: a record counts the best. */
      function addBest(matches) {
        var best = new Map();
        matches.forEach(function (x) {
          for (var i = 0; i < x.list.docs.length; i++) {
            var d = x.list.docs[i], v = x.weight * x.list.impacts[i];
            if (v > (best.get(d) || 0)) best.set(d, v);
          }
        });
        best.forEach(function (v, d) { scores.set(d, (scores.get(d) || 0) + v); });
      }
      plan.forEach(function (p) {
        var t = p.term.text, hit = exact(m, t);
        if (hit) add(hit.list, 1 / m.scale);
        if (p.prefix.length) {
          var completions = [];
          p.prefix.forEach(function (n) {
            var s = shards["t" + n];
            for (var i = 0; i < s.terms.length; i++) {
              var c = s.terms[i];
              if (c !== t && c.slice(0, t.length) === t && c[0] !== "=") {
                completions.push({ list: s.postings(i), weight: m.factors.prefix / m.scale });
              }
            }
          });
          addBest(completions);
        }
        if (p.typo.length) {
          // A word found nowhere is a typo: its near matches are all there is, so they count in full.
          var factor = hit ? m.factors.fuzzy : 1;
          var refined = 0;
          // The nearest, commonest spelling is the likeliest meaning; others count for less.
          addBest(near(p).map(function (w, rank) {
            var full = !hit && w.df > w.list.docs.length && refined++ < MAX_REFINED ? exact(m, w.word) : null;
            return { list: full ? full.list : w.list, weight: factor * (rank ? m.factors.fuzzy : 1) / m.scale };
          }));
        }
      });
      if (wholeTerm) {
        var w = exact(m, wholeTerm);
        if (w) add(w.list, 1 / m.scale);
      }
      var hits = [];
      scores.forEach(function (s, d) { hits.push({ doc: d, score: s }); });
      hits.sort(function (a, b) { return b.score - a.score || a.doc - b.doc; });
      return hits;
    }

    /* What each of `docs` shows: {doc, code, title, product, productName, severity, summary, path}. */
    function meta(docs) {
      return ready.then(function (m) {
        var size = m.meta.chunk;
        var chunks = [];
        docs.forEach(function (d) {
          var c = Math.floor(d / size);
          if (chunks.indexOf(c) < 0) chunks.push(c);
        });
        return Promise.all(chunks.map(function (c) { return get("m" + c, "m" + c + "." + m.meta.hashes[Math.floor(c / m.meta.group)] + ".js"); })).then(function () {
          return docs.map(function (d) {
            var r = arrived["m" + Math.floor(d / size)][d % size];
            return {
              doc: d, code: r[0], title: r[1], product: m.products[r[2]][0], productName: m.products[r[2]][1],
              severity: r[3] ? m.severities[r[3] - 1] : null, summary: r[4], path: r[5]
            };
          });
        });
      });
    }

    /* Facet values by record: {product: [..], severity: [..], tags: [{name, docs: Set}]}. */
    var facetData = null;
    function facets() {
      return ready.then(function (m) {
        return facetData || get("facets", m.facets).then(function (f) {
          var product = new Uint16Array(m.docs), r = new Reader(f.products), doc = 0;
          while (r.at < r.s.length) {
            var len = r.num(), p = r.num();
            product.fill(p, doc, doc + len);
            doc += len;
          }
          var tags = f.tags.map(function (name, i) {
            var t = new Reader(f.tagDocs[i]), docs = new Set(), d = 0;
            while (t.at < t.s.length) { d = docs.size ? d + t.num() : t.num(); docs.add(d); }
            return { name: name, docs: docs };
          });
          facetData = {
            product: function (d) { return m.products[product[d]][0]; },
            productName: function (key) { return m.products.filter(function (p) { return p[0] === key; })[0][1]; },
            severity: function (d) { var s = +f.severity[d]; return s ? m.severities[s - 1] : null; },
            tags: tags
          };
          return facetData;
        });
      });
    }

    /* Every record's page path, by record number (a larger file: the not-found page only). */
    function paths() {
      return ready.then(function (m) { return get("paths", m.paths); });
    }

    return { ready: ready, search: search, meta: meta, facets: facets, paths: paths };
  }

  /* Every VLQ number in `s` (for tests and tools). */
  function numbers(s) {
    var r = new Reader(s), out = [];
    while (r.at < s.length) out.push(r.num());
    return out;
  }

  var api = { loaded: loaded, open: open, typoKeys: typoKeys, fnv1a: fnv1a, distance: distance, numbers: numbers };
  root.FixbookSearch = api;
  if (typeof module === "object" && module.exports) module.exports = api;
})(typeof self !== "undefined" ? self : this);
