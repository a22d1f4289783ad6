/* Added to every page by `fixbook serve`: reloads the page when the knowledge base changes
   (keeping the scroll position), and shows the build's errors over the last good page. */
(function () {
  "use strict";
  var KEY = "fixbook-scroll:" + location.pathname;
  var saved = sessionStorage.getItem(KEY);
  if (saved !== null) {
    sessionStorage.removeItem(KEY);
    window.scrollTo(0, +saved);
  }

  function overlay(text) {
    var old = document.getElementById("fixbook-overlay");
    if (old) old.remove();
    if (!text) return;
    var box = document.createElement("div");
    box.id = "fixbook-overlay";
    box.setAttribute("role", "alert");
    box.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;padding:2rem;" +
      "background:rgba(16,21,29,.94);color:#ffd6de;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace";
    var title = document.createElement("p");
    title.style.cssText = "margin:0 0 1rem;color:#fff;font:600 16px/1.4 system-ui,sans-serif";
    title.textContent = "The knowledge base has errors. This page is the last good build; fix the file and save, and this goes away.";
    var pre = document.createElement("pre");
    pre.style.cssText = "white-space:pre-wrap;margin:0";
    pre.textContent = text;
    box.appendChild(title);
    box.appendChild(pre);
    document.body.appendChild(box);
  }

  overlay(window.__fixbookError);
  var events = new EventSource("/__fixbook/events");
  events.addEventListener("reload", function () {
    sessionStorage.setItem(KEY, String(window.scrollY));
    location.reload();
  });
  events.addEventListener("problem", function (e) { overlay(e.data); });
})();
