/* Follows an SLA computation on /sla/jobs/<id>/: polls the page's JSON until the job is done.
   Without script the page's refresh link (and a meta refresh) do the same. */
(function () {
  "use strict";
  var FIRST_DELAY = 1000;
  var MAX_DELAY = 10000;
  var GIVE_UP_AFTER = 15 * 60 * 1000; // a job nobody picks up should not be polled forever

  function start() {
    var box = document.querySelector("[data-sla-job]");
    if (!box) { return; }
    var url = box.getAttribute("data-poll-url");
    var state = box.querySelector("[data-job-state]");
    var label = box.querySelector("[data-job-label]");
    var progress = box.querySelector("[data-job-progress]");
    var refresh = box.querySelector("[data-job-refresh]");
    var done = box.querySelector("[data-job-done]");
    var began = Date.now();
    var delay = FIRST_DELAY;

    if (!done.hidden) { return; } // already finished when the page was rendered
    refresh.hidden = true;

    function show(job) {
      state.textContent = job.state;
      label.textContent = job.label;
      if (!job.done) { return false; }
      progress.value = 1;
      if (job.month_url) {
        var link = done.querySelector("a");
        if (link) { link.href = job.month_url; }
      }
      done.hidden = false;
      return true;
    }

    function stop(message) {
      label.textContent = message;
      refresh.hidden = false;
    }

    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (job) {
          if (!show(job)) { next(); }
        })
        .catch(function () { next(); });
    }

    function next() {
      if (Date.now() - began > GIVE_UP_AFTER) {
        stop("Still not finished. Is a worker running? Refresh to check again.");
        return;
      }
      delay = Math.min(delay * 1.5, MAX_DELAY);
      window.setTimeout(poll, delay);
    }

    window.setTimeout(poll, FIRST_DELAY);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
