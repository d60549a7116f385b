/* Rewrites <time data-local datetime="…"> in the reader's own time zone; without script the server's text stays. */
(function () {
  "use strict";
  var format = new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });
  function localise() {
    document.querySelectorAll("time[data-local]").forEach(function (element) {
      var moment = new Date(element.getAttribute("datetime"));
      if (isNaN(moment.getTime())) { return; }
      if (!element.title) { element.title = element.textContent.trim(); }
      element.textContent = format.format(moment);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", localise);
  } else {
    localise();
  }
})();
