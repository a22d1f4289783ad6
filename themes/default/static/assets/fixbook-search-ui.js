/* Fixbook search UI: results as you type under the header box, and the search page
   (search/index.html?q=...) with facets. Without JavaScript the box submits to that page. */
(function () {
  "use strict";

  var S = window.FixbookSearch, A = window.FixbookAnalyze;
  var form = document.querySelector("[data-fixbook-search]");
  if (!S || !A || !form) return;
  var base = form.getAttribute("data-fixbook-search");
  var siteRoot = base.replace(/search\/$/, "");
  var indexFile = /index\.html$/.test(form.getAttribute("action"));
  // In a single-file site pages are routes: #/remote-desktop/0xc07/.
  var hashRoutes = form.getAttribute("action").slice(0, 2) === "#/";
  var engine = null;
  var POPUP_HITS = 8, PAGE_HITS = 20, TOP_TAGS = 12;

  function open() { return engine || (engine = S.open(base)); }
  function href(path) {
    return hashRoutes ? "#/" + path : siteRoot + path + (indexFile && /\/$/.test(path) ? "index.html" : "");
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  window.FixbookSearchUI = { open: open, href: href, el: el, hashRoutes: hashRoutes };
  function debounce(f, ms) {
    var t;
    return function () { clearTimeout(t); t = setTimeout(f, ms); };
  }

  /* Appends `text` to `parent`, with the words the query matched in <mark>. */
  function highlight(parent, text, query) {
    var terms = A.analyze(query, "query"), exact = {}, prefix = null;
    terms.forEach(function (t) { exact[t.text] = true; });
    if (terms.length && !/\s$/.test(query) && terms[terms.length - 1].kind !== "code") prefix = terms[terms.length - 1].text;
    var re = /[\p{Alphabetic}\p{N}_]+/gu, at = 0, m;
    while ((m = re.exec(text))) {
      var hit = A.analyze(m[0], "code").some(function (t) {
        return exact[t.text] || (prefix && prefix.length > 1 && t.text.slice(0, prefix.length) === prefix);
      });
      if (!hit) continue;
      parent.appendChild(document.createTextNode(text.slice(at, m.index)));
      parent.appendChild(el("mark", null, m[0]));
      at = m.index + m[0].length;
    }
    parent.appendChild(document.createTextNode(text.slice(at)));
    return parent;
  }

  /* One result: code, title, product (and severity), summary; a link, or for an option of
     the header's listbox (which must hold no links) the option itself. */
  function result(r, query, tag, option) {
    var item = el(tag), a = option ? item : el("a", "result-link");
    if (option) item.setAttribute("data-href", href(r.path)); else a.href = href(r.path);
    var head = el("span", "result-head");
    highlight(head.appendChild(el("span", "code result-code")), r.code, query);
    highlight(head.appendChild(el("span", "result-title")), r.title, query);
    a.appendChild(head);
    var about = el("span", "result-about", r.productName);
    if (r.severity) about.appendChild(el("span", "badge severity-" + r.severity, r.severity));
    a.appendChild(about);
    highlight(a.appendChild(el("span", "result-summary")), r.summary, query);
    if (!option) item.appendChild(a);
    return item;
  }

  /* --- The header box: a combobox with a listbox of results. --- */
  var input = form.querySelector("input[name=q]");
  var popup = el("div", "search-popup");
  var list = el("ul", "search-options");
  var foot = el("p", "search-popup-foot");
  var all = el("a", null, "See all results");
  var live = el("p", "visually-hidden");
  list.id = "fixbook-options";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Search results");
  live.setAttribute("role", "status");
  foot.appendChild(all);
  popup.appendChild(list);
  popup.appendChild(foot);
  popup.hidden = true;
  form.appendChild(popup);
  form.appendChild(live);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");
  var active = -1, seq = 0;

  function show(yes) {
    popup.hidden = !yes;
    input.setAttribute("aria-expanded", String(yes));
    if (!yes) select(-1);
  }
  function options() { return list.querySelectorAll("[role=option]"); }
  function select(i) {
    var opts = options();
    active = i;
    for (var j = 0; j < opts.length; j++) opts[j].setAttribute("aria-selected", String(j === i));
    if (i >= 0 && opts[i]) {
      input.setAttribute("aria-activedescendant", opts[i].id);
      opts[i].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }
  function searchUrl(q) { return href("search/") + "?q=" + encodeURIComponent(q); }

  var update = debounce(function () {
    var q = input.value, mine = ++seq;
    if (!q.trim()) { show(false); list.textContent = ""; return; }
    open().search(q).then(function (hits) {
      return open().meta(hits.slice(0, POPUP_HITS).map(function (h) { return h.doc; })).then(function (shown) {
        if (mine !== seq) return;
        list.textContent = "";
        shown.forEach(function (r, i) {
          var li = result(r, q, "li", true);
          li.id = "fixbook-option-" + i;
          li.setAttribute("role", "option");
          list.appendChild(li);
        });
        if (!hits.length) list.appendChild(el("li", "search-empty", "No results for “" + q + "”"));
        list.setAttribute("data-query", q);
        all.href = searchUrl(q);
        all.textContent = hits.length > POPUP_HITS ? "See all " + hits.length + " results" : "Open the search page";
        live.textContent = hits.length ? hits.length + " results" : "No results";
        active = -1;
        show(true);
      });
    }).catch(function (e) { live.textContent = "Search is unavailable: " + e.message; });
  }, 60);

  input.addEventListener("input", update);
  input.addEventListener("focus", function () {
    open();
    if (input.value.trim() && list.childNodes.length) show(true);
  });
  input.addEventListener("keydown", function (e) {
    var n = options().length;
    if (e.key === "ArrowDown" && n) {
      e.preventDefault();
      show(true);
      select((active + 1) % n);
    } else if (e.key === "ArrowUp" && n) {
      e.preventDefault();
      select(active <= 0 ? n - 1 : active - 1);
    } else if (e.key === "Enter" && active >= 0 && !popup.hidden) {
      e.preventDefault();
      location.href = options()[active].getAttribute("data-href");
    } else if (e.key === "Escape" && !popup.hidden) {
      // The first Escape closes the list and keeps the text (a search box would clear it).
      e.preventDefault();
      show(false);
    }
  });
  form.addEventListener("focusout", function (e) {
    if (!form.contains(e.relatedTarget)) show(false);
  });
  list.addEventListener("mousedown", function (e) { e.preventDefault(); });
  list.addEventListener("click", function (e) {
    var option = e.target.closest("[role=option]");
    if (option) location.href = option.getAttribute("data-href");
  });
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    if (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) return;
    e.preventDefault();
    input.focus();
    input.select();
  });

  /* --- The search page: every result, with facets. --- */
  function searchPage() {
    var page = document.querySelector("[data-fixbook-search-page]");
    if (!page || page.hasAttribute("data-ready")) return;
    page.setAttribute("data-ready", "");
    var pageInput = document.querySelector("[data-fixbook-page-input]");
    var results = page.querySelector("[data-fixbook-results]");
    var status = page.querySelector("[data-fixbook-status]");
    var facetBox = page.querySelector("[data-fixbook-facets]");
    var more = page.querySelector("[data-fixbook-more]");
    var inHash = location.hash.indexOf("?") >= 0;
    var params = new URLSearchParams(inHash ? location.hash.slice(location.hash.indexOf("?")).split("#")[0] : location.search);
    var chosen = { product: params.getAll("product"), severity: params.getAll("severity"), tag: params.getAll("tag") };
    var state = { q: params.get("q") || "", hits: [], facets: null, shown: 0, seq: 0 };
    pageInput.value = state.q;

    function keep(hit, f, except) {
      var d = hit.doc;
      return (except === "product" || !chosen.product.length || chosen.product.indexOf(f.product(d)) >= 0) &&
        (except === "severity" || !chosen.severity.length || chosen.severity.indexOf(f.severity(d) || "") >= 0) &&
        (except === "tag" || chosen.tag.every(function (name) {
          return f.tags.some(function (t) { return t.name === name && t.docs.has(d); });
        }));
    }
    function filtered(except) {
      var f = state.facets;
      return f ? state.hits.filter(function (h) { return keep(h, f, except); }) : state.hits;
    }

    function writeUrl() {
      var p = new URLSearchParams();
      if (state.q) p.set("q", state.q);
      ["product", "severity", "tag"].forEach(function (k) { chosen[k].forEach(function (v) { p.append(k, v); }); });
      history.replaceState(null, "", hashRoutes ? "#/search/?" + p.toString() : "?" + p.toString());
    }

    /* A group of checkboxes; counts are what each value would give with the other groups applied. */
    function group(key, legend, counts, label, order) {
      var values = Object.keys(counts).filter(function (v) { return counts[v] || chosen[key].indexOf(v) >= 0; });
      if (!values.length) return;
      values.sort(order || function (a, b) { return counts[b] - counts[a] || (a < b ? -1 : 1); });
      if (key === "tag") values = values.slice(0, TOP_TAGS).concat(chosen.tag.filter(function (t) { return values.indexOf(t) >= TOP_TAGS; }));
      var fs = el("fieldset", "facet");
      fs.appendChild(el("legend", null, legend));
      values.forEach(function (v) {
        var lab = el("label"), box = el("input");
        box.type = "checkbox";
        box.name = key;
        box.value = v;
        box.checked = chosen[key].indexOf(v) >= 0;
        box.addEventListener("change", function () {
          chosen[key] = box.checked ? chosen[key].concat(v) : chosen[key].filter(function (x) { return x !== v; });
          writeUrl();
          render();
          var again = facetBox.querySelector("input[name=" + key + "][value='" + CSS.escape(v) + "']");
          if (again) again.focus();
        });
        lab.appendChild(box);
        lab.appendChild(document.createTextNode(" " + label(v) + " "));
        lab.appendChild(el("span", "count", String(counts[v])));
        fs.appendChild(lab);
      });
      facetBox.appendChild(fs);
    }

    function renderFacets() {
      var f = state.facets;
      facetBox.textContent = "";
      if (!f || !state.hits.length) { facetBox.hidden = true; return; }
      var p = {}, s = {}, t = {};
      filtered("product").forEach(function (h) { var k = f.product(h.doc); p[k] = (p[k] || 0) + 1; });
      filtered("severity").forEach(function (h) { var k = f.severity(h.doc); if (k) s[k] = (s[k] || 0) + 1; });
      var forTags = filtered("tag");
      f.tags.forEach(function (tag) {
        var n = 0;
        forTags.forEach(function (h) { if (tag.docs.has(h.doc)) n++; });
        t[tag.name] = n;
      });
      group("product", "Product", p, f.productName);
      var rank = ["critical", "high", "medium", "low"];
      group("severity", "Severity", s, function (v) { return v.charAt(0).toUpperCase() + v.slice(1); },
        function (a, b) { return rank.indexOf(a) - rank.indexOf(b); });
      group("tag", "Tag", t, function (v) { return v; });
      facetBox.hidden = !facetBox.childNodes.length;
    }

    function showMore() {
      var list = filtered(), from = state.shown, to = Math.min(list.length, from + PAGE_HITS), q = state.q, mine = state.seq;
      state.shown = to;
      more.hidden = to >= list.length;
      return open().meta(list.slice(from, to).map(function (h) { return h.doc; })).then(function (shown) {
        if (mine !== state.seq) return;
        shown.forEach(function (r) { results.appendChild(result(r, q, "li")); });
      });
    }

    function render() {
      state.seq++;
      results.textContent = "";
      state.shown = 0;
      renderFacets();
      var n = filtered().length, q = state.q.trim();
      status.textContent = !q ? "Type an error code, a message or a symptom." :
        n ? n + (n === 1 ? " result" : " results") + " for “" + q + "”" : "No results for “" + q + "”. Check the spelling, or try the code without words around it.";
      more.hidden = true;
      return n ? showMore() : Promise.resolve();
    }

    function run() {
      var q = state.q, mine = ++state.seq;
      if (!q.trim()) { state.hits = []; return render(); }
      return Promise.all([open().search(q), open().facets()]).then(function (r) {
        if (mine !== state.seq) return;
        state.hits = r[0];
        state.facets = r[1];
        return render();
      }).catch(function (e) { status.textContent = "Search is unavailable: " + e.message; });
    }

    more.addEventListener("click", showMore);
    pageInput.addEventListener("input", debounce(function () {
      state.q = pageInput.value;
      writeUrl();
      run();
    }, 80));
    pageInput.form.addEventListener("submit", function (e) {
      e.preventDefault();
      state.q = pageInput.value;
      writeUrl();
      run();
    });
    run();
  }
  searchPage();
  document.addEventListener("fixbook:page", searchPage);

})();
