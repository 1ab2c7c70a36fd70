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
