/* The editor's explaining preview (bulletin editor, emergency form): POSTs the text to /radio/preview.json and
   shows the reading with every changed span highlighted; pointing at or tapping a span shows the rule that
   changed it (source -> spoken, the note). Only textContent is used for text: nothing the user typed is ever
   parsed as HTML. No inline script: the page's CSP may forbid it. */
(function () {
  "use strict";

  function init(box) {
    var form = box.closest("form");
    if (!form) { return; }
    var text = form.querySelector("textarea[name=text]");
    var voice = form.querySelector("[name=voice]");
    var tokenInput = form.querySelector("[name=csrfmiddlewaretoken]");
    var out = box.querySelector(".vt-reading");
    var summary = box.querySelector(".vt-summary");
    var tip = box.querySelector(".vt-tip");
    var tipRule = tip.querySelector(".vt-tip-rule"), tipFrom = tip.querySelector(".vt-tip-from");
    var tipTo = tip.querySelector(".vt-tip-to"), tipNote = tip.querySelector(".vt-tip-note");
    var tipHint = tip.querySelector(".vt-tip-hint"), tipLink = tip.querySelector(".vt-tip-link");
    var url = box.getAttribute("data-url"), place = box.getAttribute("data-place") || "";
    var abbrUrl = box.getAttribute("data-abbr-url");
    var timer = null, seq = 0, current = null, pinned = false, hideTimer = null;

    function hide() {
      tip.hidden = true;
      if (current) { current.setAttribute("aria-expanded", "false"); }
      current = null;
      pinned = false;
    }

    function show(mark, pin) {
      clearTimeout(hideTimer);
      var seg = mark._vtSegment;
      if (!seg) { return; }
      if (current !== mark) {
        if (current) { current.setAttribute("aria-expanded", "false"); }
        pinned = !!pin;
      } else {
        pinned = pinned || !!pin;
      }
      current = mark;
      mark.setAttribute("aria-expanded", "true");
      tipRule.textContent = seg.label || seg.rule;
      tipFrom.textContent = seg.source;
      tipTo.textContent = seg.text.trim();
      tipNote.textContent = seg.note || "";
      tipNote.hidden = !seg.note;
      tip.classList.toggle("vt-is-unknown", !!seg.unknown);
      tipHint.hidden = !seg.unknown;
      if (seg.unknown) {
        tipLink.href = abbrUrl + "?add=" + encodeURIComponent(seg.source.trim()) +
          (place ? "&place=" + encodeURIComponent(place) : "") + "#abbr-add";
      }
      tip.hidden = false;
      var boxRect = box.getBoundingClientRect(), r = mark.getClientRects()[0] || mark.getBoundingClientRect();
      var left = Math.max(0, Math.min(r.left - boxRect.left, boxRect.width - tip.offsetWidth));
      tip.style.left = left + "px";
      tip.style.top = (r.bottom - boxRect.top + 6) + "px";
    }

    function render(data) {
      hide();
      out.textContent = "";
      var segments = data.segments || [];
      for (var i = 0; i < segments.length; i++) {
        var seg = segments[i];
        if (!seg.rule) {
          out.appendChild(document.createTextNode(seg.text));
          continue;
        }
        var mark = document.createElement("mark");
        mark.className = "vt-span vt-rule-" + String(seg.rule).replace(/[^a-z_]/g, "") +
          (seg.unknown ? " vt-unknown" : "") + (seg.rule === "local_abbreviation" ? " vt-local" : "");
        mark.textContent = seg.text;
        mark.tabIndex = out.querySelector(".vt-span") ? -1 : 0;  // one tab stop; arrow keys move between spans
        mark.setAttribute("role", "button");
        mark.setAttribute("aria-expanded", "false");
        mark.setAttribute("aria-controls", tip.id);
        mark.setAttribute("data-source", seg.source);
        mark._vtSegment = seg;
        out.appendChild(mark);
      }
      summary.textContent = data.summary || "";
    }

    function update() {
      var mine = ++seq;
      var body = new URLSearchParams({text: text.value, voice: voice ? voice.value : "north", place: place});
      fetch(url, {method: "POST", body: body, credentials: "same-origin",
                  headers: {"X-CSRFToken": tokenInput ? tokenInput.value : ""}})
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (d) { if (mine === seq) { render(d); } })
        .catch(function () { if (mine === seq) { summary.textContent = box.getAttribute("data-error") || "…"; } });
    }

    function markOf(ev) {
      var t = ev.target;
      return t && t.closest ? t.closest(".vt-reading .vt-span") : null;
    }

    out.addEventListener("click", function (ev) {
      var m = markOf(ev);
      if (!m) { return; }
      if (current === m && pinned) { hide(); } else { show(m, true); }
    });
    out.addEventListener("keydown", function (ev) {
      var m = markOf(ev);
      if (!m) { return; }
      if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); show(m, true); return; }
      var step = {ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1}[ev.key];
      if (!step) { return; }
      var marks = out.querySelectorAll(".vt-span"), i = Array.prototype.indexOf.call(marks, m) + step;
      if (i < 0 || i >= marks.length) { return; }
      ev.preventDefault();
      m.tabIndex = -1;
      marks[i].tabIndex = 0;
      marks[i].focus();
    });
    out.addEventListener("focusin", function (ev) { var m = markOf(ev); if (m) { show(m, false); } });
    out.addEventListener("mouseover", function (ev) {
      var m = markOf(ev);
      if (m && !pinned && window.matchMedia("(hover: hover)").matches) { show(m, false); }
    });
    out.addEventListener("mouseout", function (ev) {
      if (markOf(ev) && !pinned) { hideTimer = setTimeout(hide, 400); }
    });
    tip.addEventListener("mouseover", function () { clearTimeout(hideTimer); });
    tip.addEventListener("mouseout", function () { if (!pinned) { hideTimer = setTimeout(hide, 400); } });
    document.addEventListener("click", function (ev) {
      if (!tip.hidden && !box.contains(ev.target)) { hide(); }
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && !tip.hidden) { var m = current; hide(); if (m) { m.focus(); } }
    });

    text.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(update, 300); });
    if (voice) { voice.addEventListener("change", update); }
    window.addEventListener("pageshow", function (ev) { if (ev.persisted) { update(); } });
    update();
  }

  var boxes = document.querySelectorAll("[data-vt-preview]");
  for (var i = 0; i < boxes.length; i++) { init(boxes[i]); }
})();
