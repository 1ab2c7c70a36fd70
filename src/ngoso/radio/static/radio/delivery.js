/* Live delivery status of one emergency (radio/emergency_status.html): polls the page's status.json every
   4 seconds while the emergency is on air and rewrites each cluster's state. textContent only; no inline
   script (the page's CSP forbids it). Stops polling when the emergency is stopped or every cluster is done. */
(function () {
  "use strict";
  var box = document.getElementById("delivery");
  if (!box || box.getAttribute("data-live") !== "1") { return; }
  var url = box.getAttribute("data-url");
  var summary = box.querySelector(".d-summary"), checked = box.querySelector(".d-checked");
  var error = box.querySelector(".d-error");
  var timer = null;

  function apply(data) {
    summary.textContent = data.summary;
    checked.textContent = data.checked_at;
    var done = true;
    (data.clusters || []).forEach(function (r) {
      var row = box.querySelector('tr[data-code="' + (window.CSS && CSS.escape ? CSS.escape(r.code) : r.code) + '"]');
      if (!row) { return; }
      var pill = row.querySelector(".pill");
      pill.textContent = r.label;
      pill.className = "pill st-" + r.state;
      row.querySelector(".d-seen").textContent = r.last_seen || "—";
      if (r.state !== "played" && r.state !== "failed" && r.state !== "stopped") { done = false; }
    });
    return !(data.stopped || done);
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        error.hidden = true;
        if (apply(data)) { timer = setTimeout(poll, 4000); }
      })
      .catch(function () { error.hidden = false; timer = setTimeout(poll, 8000); });
  }
  timer = setTimeout(poll, 4000);
}());
