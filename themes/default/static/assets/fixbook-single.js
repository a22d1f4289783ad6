/* Fixbook single-file site: every page is a route of this one HTML file (#/remote-desktop/0xc07/).
   Pages arrive as FixbookPages.add({route: [title, html]}) calls; start() shows the route in the
   address and follows links from then on. Anchors inside a page keep their route:
   #/remote-desktop/0xc07/#causes. */
(function () {
  "use strict";

  var pages = {}, current = null, currentRoute = null, region = null;

  function parse(hash) {
    if (hash.slice(0, 2) !== "#/") return null;
    var rest = hash.slice(2), at = rest.indexOf("#");
    var route = at < 0 ? rest : rest.slice(0, at);
    return { route: route, path: route.split("?")[0], fragment: at < 0 ? "" : decodeURIComponent(rest.slice(at + 1)) };
  }

  function show() {
    var target = parse(location.hash);
    if (!target) {
      // A plain #anchor inside the page shown: keep the route in the address.
      var id = decodeURIComponent(location.hash.slice(1));
      var el = id && document.getElementById(id);
      if (current !== null) history.replaceState(null, "", "#/" + current + (id ? "#" + encodeURIComponent(id) : ""));
      if (el) el.scrollIntoView();
      return;
    }
    if (target.route !== currentRoute) {
      var page = pages[target.path] || pages["404.html"];
      region.innerHTML = page[1];
      document.title = page[0];
      current = target.path;
      currentRoute = target.route;
      document.dispatchEvent(new CustomEvent("fixbook:page", { detail: { path: current } }));
    }
    var anchor = target.fragment && document.getElementById(target.fragment);
    if (anchor) anchor.scrollIntoView();
    else window.scrollTo(0, 0);
  }

  window.FixbookPages = {
    add: function (more) {
      for (var k in more) pages[k] = more[k];
    },
    start: function () {
      region = document.getElementById("fixbook-page");
      if (!parse(location.hash)) history.replaceState(null, "", location.pathname + location.search + "#/");
      show();
      window.addEventListener("hashchange", show);
    }
  };
})();
