/* Fixbook default theme: small progressive enhancements. Pages work without it. */
(function () {
  "use strict";

  // A link to #faq-2 opens that answer (in a single-file site: #/page/#faq-2).
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(location.hash.lastIndexOf("#") + 1));
    var el = id && document.getElementById(id);
    if (el && el.tagName === "DETAILS") el.open = true;
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();

  // Print every FAQ answer, then restore what the reader had open.
  var reopened = [];
  window.addEventListener("beforeprint", function () {
    reopened = Array.prototype.filter.call(document.querySelectorAll("details:not([open])"), function (d) {
      d.open = true;
      return true;
    });
  });
  window.addEventListener("afterprint", function () {
    reopened.forEach(function (d) { d.open = false; });
    reopened = [];
  });

  // A copy button beside the record's code; again whenever a single-file site shows a page.
  copyButton();
  document.addEventListener("fixbook:page", function () { copyButton(); openTarget(); });

  function copyButton() {
    var code = document.querySelector(".record-badges .code-lg");
    var next = code && code.nextElementSibling;
    if (!code || !navigator.clipboard || (next && next.className === "copy-code")) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-code";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy the error code " + code.textContent);
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(code.textContent).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 1500);
      }, function () {
        button.textContent = "Press Ctrl+C";
        var range = document.createRange();
        range.selectNodeContents(code);
        var sel = getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
      });
    });
    code.insertAdjacentElement("afterend", button);
  }
})();
