/* Small behaviours of the staff pages, kept out of the HTML so that the Content-Security-Policy can forbid
   inline scripts and event-handler attributes. */
"use strict";
document.addEventListener("change", function (e) {
  var t = e.target;
  if (t && t.form && t.hasAttribute && t.hasAttribute("data-autosubmit")) t.form.submit();
});
