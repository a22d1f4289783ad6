/* Fixbook guided fix and procedure checklist. Without this script the record page shows
   the fixes in the order to try them, the causes, fixes and steps; with it, the guided fix
   asks "Did this fix it?" one fix at a time (the order is decided at build time), steps get
   checkboxes kept in localStorage, and a summary for a support ticket can be copied. */
(function () {
  "use strict";

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function button(text, cls) {
    var b = el("button", "button" + (cls ? " " + cls : ""), text);
    b.type = "button";
    return b;
  }
  function cap(s) { return s ? s.charAt(0).toUpperCase() + s.slice(1) : s; }
  /* A copy of the page's own text for `selector`, without ids (they must stay unique). */
  function copyOf(selector) {
    var src = selector && document.querySelector(selector);
    if (!src) return null;
    var c = src.cloneNode(true);
    c.removeAttribute("id");
    Array.prototype.forEach.call(c.querySelectorAll("[id]"), function (n) { n.removeAttribute("id"); });
    return c;
  }
  function store() {
    try { return window.localStorage; } catch (e) { return null; }
  }
  function pageUrl() {
    var canonical = document.querySelector("link[rel=canonical]");
    return canonical ? canonical.href : location.href;
  }
  /* POSTs feedback as JSON where the site asked for it; never from a file on disk. */
  function send(url, payload) {
    if (!url || !/^https?:$/.test(location.protocol) || !window.fetch) return;
    payload.page = pageUrl();
    fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload), keepalive: true, mode: "cors" })
      .catch(function () { /* feedback is best effort */ });
  }

  /* --- The procedure checklist --- */
  function checklist(section) {
    section.setAttribute("data-ready", "");
    var key = "fixbook:steps:" + section.getAttribute("data-fixbook-procedure");
    var steps = Array.prototype.slice.call(section.querySelectorAll(".step"));
    var s = store(), done = [];
    try { done = JSON.parse((s && s.getItem(key)) || "[]"); } catch (e) { done = []; }
    var status = el("p", "checklist-status");
    status.setAttribute("role", "status");
    var reset = button("Reset the checklist", "secondary small");
    var bar = el("div", "checklist-bar");
    bar.appendChild(status);
    bar.appendChild(reset);
    section.querySelector(".step-list").insertAdjacentElement("beforebegin", bar);
    var boxes = steps.map(function (step, i) {
      var label = el("label", "step-done");
      var box = el("input");
      box.type = "checkbox";
      box.checked = done.indexOf(i + 1) >= 0;
      var title = step.querySelector("h3");
      label.appendChild(box);
      label.appendChild(document.createTextNode(" Done"));
      label.appendChild(el("span", "visually-hidden", ": step " + (i + 1) + ", " + (title ? title.textContent.replace(/^\d+/, "") : "")));
      (title || step).insertAdjacentElement("afterend", label);
      box.addEventListener("change", update);
      return box;
    });
    reset.addEventListener("click", function () {
      boxes.forEach(function (b) { b.checked = false; });
      update();
      if (boxes[0]) boxes[0].focus();
    });
    function update() {
      var now = [], left = 0, known = true;
      boxes.forEach(function (b, i) {
        steps[i].classList.toggle("is-done", b.checked);
        if (b.checked) now.push(i + 1);
        else if (steps[i].hasAttribute("data-minutes")) left += +steps[i].getAttribute("data-minutes");
        else known = false;
      });
      try {
        if (s) { if (now.length) s.setItem(key, JSON.stringify(now)); else s.removeItem(key); }
      } catch (e) { /* storage full or off: progress lasts for this visit */ }
      var text = now.length + " of " + boxes.length + " steps done";
      if (now.length === boxes.length) text += ". All done.";
      else if (known && left) text += " · about " + left + " minute" + (left === 1 ? "" : "s") + " left";
      status.textContent = text;
      reset.hidden = now.length === 0;
      section.setAttribute("data-done", now.join(","));
    }
    update();
  }

  /* Steps ticked on this page, for the ticket summary. */
  function stepsDone() {
    return Array.prototype.map.call(document.querySelectorAll(".step.is-done h3"), function (h) {
      return h.textContent.replace(/^\d+/, "").trim();
    });
  }

  /* --- The guided fix --- */
  function guide(section) {
    section.setAttribute("data-ready", "");
    var info = {
      record: section.getAttribute("data-record"), code: section.getAttribute("data-code"),
      product: section.getAttribute("data-product"), title: section.getAttribute("data-title"),
      support: section.getAttribute("data-support"), feedback: section.getAttribute("data-feedback")
    };
    var order = section.querySelector(".guide-order");
    var attempts = Array.prototype.map.call(order.querySelectorAll("li"), function (li) {
      var cause = li.getAttribute("data-cause");
      var causeHead = cause && document.querySelector("#" + cause + " h3");
      return {
        fix: li.getAttribute("data-fix"), fixTitle: li.querySelector("a").textContent,
        difficulty: li.getAttribute("data-difficulty"), cause: cause,
        causeTitle: causeHead ? causeHead.textContent : "", likelihood: li.getAttribute("data-likelihood")
      };
    });
    var tried = [];
    var panel = el("div", "guide-panel");
    var live = el("p", "visually-hidden");
    live.setAttribute("aria-live", "polite");
    order.hidden = true;
    section.querySelector(".guide-intro").hidden = true;
    section.appendChild(panel);
    section.appendChild(live);

    function view(heading, announce, focus) {
      panel.textContent = "";
      var h = panel.appendChild(el("h3", "guide-heading", heading));
      h.tabIndex = -1;
      live.textContent = announce || heading;
      if (focus) h.focus();
      return panel;
    }
    function badge(kind, level, text) {
      return el("span", "badge " + kind + " " + kind + "-" + level, text);
    }
    function ask(i, focus) {
      var a = attempts[i];
      view(a.cause ? "Likely cause: " + a.causeTitle : "Something else to try: " + a.fixTitle,
        "Fix " + (i + 1) + " of " + attempts.length + ": " + a.fixTitle, focus);
      panel.setAttribute("data-step", String(i + 1));
      var progress = el("p", "guide-progress muted", "Fix " + (i + 1) + " of " + attempts.length);
      panel.insertBefore(progress, panel.firstChild);
      if (a.cause) {
        panel.querySelector(".guide-heading").appendChild(document.createTextNode(" "));
        panel.querySelector(".guide-heading").appendChild(badge("likelihood", a.likelihood, cap(a.likelihood) + " likelihood"));
        var why = copyOf("#" + a.cause + " .prose");
        if (why) panel.appendChild(why);
      }
      var fix = el("div", "guide-fix");
      var ft = fix.appendChild(el("p", "guide-fix-title"));
      ft.appendChild(el("strong", null, "Try: " + a.fixTitle));
      ft.appendChild(document.createTextNode(" "));
      ft.appendChild(badge("difficulty", a.difficulty, cap(a.difficulty)));
      var how = copyOf("#" + a.fix + " .prose");
      if (how) fix.appendChild(how);
      if (document.getElementById("steps")) {
        var more = fix.appendChild(el("p", "muted"));
        var link = more.appendChild(el("a", null, "The step-by-step procedure"));
        link.href = "#steps";
        more.appendChild(document.createTextNode(" has the details."));
      }
      panel.appendChild(fix);
      var q = panel.appendChild(el("p", "guide-question", "Did this fix it?"));
      q.id = "guide-question";
      var group = panel.appendChild(el("div", "guide-answers"));
      group.setAttribute("role", "group");
      group.setAttribute("aria-labelledby", q.id);
      var yes = group.appendChild(button("Yes, it is fixed"));
      var no = group.appendChild(button("No, try the next fix", "secondary"));
      yes.setAttribute("data-answer", "yes");
      no.setAttribute("data-answer", "no");
      yes.addEventListener("click", function () { answer(i, true); });
      no.addEventListener("click", function () { answer(i, false); });
    }
    function answer(i, worked) {
      tried.push({ title: attempts[i].fixTitle, worked: worked });
      send(info.feedback, { type: "fix", record: info.record, code: info.code, fix: attempts[i].fixTitle, worked: worked });
      if (worked) success();
      else if (i + 1 < attempts.length) ask(i + 1, true);
      else escalate();
    }
    function again() {
      var b = button("Start over", "secondary");
      b.addEventListener("click", function () { tried = []; ask(0, true); });
      return b;
    }
    function success() {
      view("Fixed by: " + tried[tried.length - 1].title, "Fixed. " + tried[tried.length - 1].title + " worked.", true);
      panel.setAttribute("data-step", "fixed");
      panel.appendChild(el("p", null, "Good. Before you go, these are worth remembering:"));
      var takeaways = copyOf(".takeaways ul");
      if (takeaways) panel.appendChild(takeaways);
      else panel.lastChild.textContent = "Good. Nothing more to do.";
      panel.appendChild(el("p")).appendChild(again());
    }
    function escalate() {
      view("None of the fixes worked", "None of the fixes worked. Copy a summary for a support ticket.", true);
      panel.setAttribute("data-step", "escalate");
      panel.appendChild(el("p", null, "Copy this summary into a support ticket: it says what you have tried, so nobody asks you to try it again."));
      var text = summary();
      var pre = panel.appendChild(el("pre", "guide-summary", text));
      pre.tabIndex = 0;
      pre.setAttribute("aria-label", "Summary for a support ticket");
      var actions = panel.appendChild(el("p", "guide-actions"));
      var copy = actions.appendChild(button("Copy summary for a support ticket"));
      var copied = el("span", "guide-copied");
      copied.setAttribute("role", "status");
      copy.addEventListener("click", function () {
        var t = summary();
        pre.textContent = t;
        var done = function () { copied.textContent = "Copied."; };
        var manual = function () {
          var range = document.createRange();
          range.selectNodeContents(pre);
          var sel = getSelection();
          sel.removeAllRanges();
          sel.addRange(range);
          copied.textContent = "Selected: press Ctrl+C (Cmd+C) to copy.";
        };
        if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(t).then(done, manual);
        else manual();
      });
      if (info.support) {
        actions.appendChild(document.createTextNode(" "));
        var contact = actions.appendChild(el("a", "button secondary", "Contact support"));
        contact.href = info.support.replace(/\{(code|title|url|summary)\}/g, function (_, k) {
          return encodeURIComponent(k === "code" ? info.code : k === "title" ? info.title : k === "url" ? pageUrl() : summary());
        });
        contact.rel = "noopener";
      }
      actions.appendChild(document.createTextNode(" "));
      actions.appendChild(copied);
      panel.appendChild(el("p")).appendChild(again());
    }
    function summary() {
      var lines = [info.code + " (" + info.product + "): " + info.title, "Page: " + pageUrl(), "", "Fixes tried:"];
      if (!tried.length) lines.push("- none yet");
      tried.forEach(function (t) { lines.push("- " + t.title + ": " + (t.worked ? "fixed it" : "did not fix it")); });
      var steps = document.querySelectorAll(".step"), done = stepsDone();
      if (steps.length) {
        lines.push("", "Steps completed: " + done.length + " of " + steps.length);
        done.forEach(function (d) { lines.push("- " + d); });
      }
      return lines.join("\n");
    }
    window.FixbookGuide = { summary: summary };
    if (attempts.length) ask(0, false);
  }

  /* --- "Was this page helpful?" where the site collects feedback --- */
  function pageFeedback(section) {
    section.setAttribute("data-ready", "");
    if (!/^https?:$/.test(location.protocol)) return;
    section.hidden = false;
    Array.prototype.forEach.call(section.querySelectorAll("[data-helpful]"), function (b) {
      b.addEventListener("click", function () {
        send(section.getAttribute("data-fixbook-page-feedback"), {
          type: "page", record: section.getAttribute("data-record"), code: section.getAttribute("data-code"),
          helpful: b.getAttribute("data-helpful") === "yes"
        });
        var thanks = el("p", null, "Thank you for telling us.");
        thanks.setAttribute("role", "status");
        section.querySelector("p").replaceWith(thanks);
      });
    });
  }

  function init() {
    var s = document.querySelector("[data-fixbook-procedure]:not([data-ready])");
    if (s) checklist(s);
    var g = document.querySelector("[data-fixbook-guide]:not([data-ready])");
    if (g) guide(g);
    var f = document.querySelector("[data-fixbook-page-feedback]:not([data-ready])");
    if (f) pageFeedback(f);
  }
  document.addEventListener("fixbook:page", init);
  init();
})();
