/* The trade form in one step: choosing a colleague fills "In exchange for" with their holidays at once.
   Without script the form still works in two steps ("Show their holidays" re-displays it). */
(function () {
  "use strict";
  function enhance() {
    var form = document.querySelector("form[data-trade-form]");
    var data = document.getElementById("trade-colleague-holidays");
    if (!form || !data) { return; }
    var holidays = JSON.parse(data.textContent);
    var colleague = form.elements.namedItem("counterparty");
    var wanted = form.elements.namedItem("counterparty_shift");
    var status = document.getElementById("trade-colleague-status");
    var step = form.querySelector("[data-trade-step]");
    if (!colleague || !wanted) { return; }
    if (step) { step.hidden = true; }

    // Fill "In exchange for" with the chosen colleague's holidays, keeping the one chosen if it is theirs.
    function fill() {
      var theirs = holidays[colleague.value] || [];
      var chosen = wanted.value;
      var name = colleague.value ? colleague.options[colleague.selectedIndex].text.replace(/\s*\(.*\)$/, "") : "";
      // Keep the first option ("None: give it away"), replace the colleague's holidays.
      while (wanted.options.length > 1) { wanted.remove(1); }
      theirs.forEach(function (holiday) { wanted.add(new Option(holiday[1], String(holiday[0]))); });
      wanted.value = chosen;
      if (wanted.selectedIndex < 0) { wanted.selectedIndex = 0; }
      if (status) {
        if (!colleague.value) {
          status.textContent = "Choose a colleague to see their holidays.";
        } else if (theirs.length) {
          status.textContent = theirs.length + " future holiday" + (theirs.length === 1 ? "" : "s") + " of " + name + " to choose from.";
        } else {
          status.textContent = name + " has no future holiday shift: you can only give yours away.";
        }
      }
    }
    colleague.addEventListener("change", fill);
    // A colleague may be chosen before this script runs (a slow page, or a form the browser restored).
    fill();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhance);
  } else {
    enhance();
  }
})();
