/* Small behaviours of the staff pages, kept out of the HTML so that the Content-Security-Policy can forbid
   inline scripts and event-handler attributes. */
"use strict";
document.addEventListener("change", function (e) {
  var t = e.target;
  if (t && t.form && t.hasAttribute && t.hasAttribute("data-autosubmit")) t.form.submit();
});
/* A handout or a recording the queue is still making (the server answered 202): the page reloads itself; a
   lesson's player says that it is being made (its data-preparing text, in the page's language), asks again
   every few seconds and plays when the recording is there. */
(function () {
  var box = document.getElementById("preparing");
  if (box) setTimeout(function () { location.reload(); }, 1000 * (+box.getAttribute("data-retry") || 3));
})();
document.addEventListener("error", function (e) {
  var a = e.target, src = a && (a.currentSrc || a.src);
  if (!a || a.tagName !== "AUDIO" || a.getAttribute("data-asking") || !/\/lessons\/.+\.ogg/.test(src || "")) return;
  a.setAttribute("data-asking", "1");
  var note = null;
  function say(on) {
    if (on && !note && a.getAttribute("data-preparing")) {
      note = document.createElement("p");
      note.className = "msg preparing";
      note.setAttribute("role", "status");
      note.textContent = a.getAttribute("data-preparing");
      a.insertAdjacentElement("afterend", note);
    } else if (!on && note) { note.remove(); note = null; }
  }
  (function ask(n) {
    fetch(src, {method: "HEAD", credentials: "same-origin", cache: "no-store"}).then(function (r) {
      if (r.status === 200) { say(false); a.removeAttribute("data-asking"); a.load(); a.play(); }
      else if (r.status === 202 && n < 40) { say(true); setTimeout(function () { ask(n + 1); }, 3000); }
    }).catch(function () { if (n < 40) setTimeout(function () { ask(n + 1); }, 3000); });
  })(0);
}, true);
/* A form's own token (core/once.py): made here when the input is empty, not written by the server, so that browser
   Back, which fetches the form again and puts back what its inputs held, brings back this token with the typed
   values; Save again is then known as the same form and stores nothing new. A UUID v4 (also without https). */
(function () {
  var inputs = document.querySelectorAll("input[data-once]");
  for (var i = 0; i < inputs.length; i++) {
    if (inputs[i].value) continue;
    var b = crypto.getRandomValues(new Uint8Array(16)), h = "";
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    for (var k = 0; k < 16; k++) h += (b[k] < 16 ? "0" : "") + b[k].toString(16);
    inputs[i].value = h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
})();
