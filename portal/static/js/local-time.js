// Shows an event's time in the reader's own time zone when it differs from the event's.
(function () {
  "use strict";
  var readerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var lang = document.documentElement.lang || "en";

  function offsetAt(instant, zone) {
    return new Intl.DateTimeFormat("en", { timeZone: zone, timeZoneName: "longOffset" })
      .format(instant);
  }

  function longDate(instant) {
    return new Intl.DateTimeFormat(lang, { dateStyle: "full" }).formatToParts(instant)
      .map(function (part) {
        // French writes the first of the month as "1er", as the server-side dates do.
        return lang === "fr" && part.type === "day" && part.value === "1" ? "1er" : part.value;
      })
      .join("");
  }

  function zoneName(instant) {
    return new Intl.DateTimeFormat(lang, { timeZoneName: "long" }).formatToParts(instant)
      .filter(function (part) { return part.type === "timeZoneName"; })
      .map(function (part) { return part.value; })
      .join("");
  }

  document.querySelectorAll("[data-local-time]").forEach(function (slot) {
    var start = new Date(slot.dataset.start);
    var end = new Date(slot.dataset.end);
    if (!readerZone || offsetAt(start, readerZone) === offsetAt(start, slot.dataset.zone)) {
      return;
    }
    var time = new Intl.DateTimeFormat(lang, { timeStyle: "short" });
    slot.textContent = slot.dataset.label + " " + longDate(start) + ", " +
      time.format(start) + "–" + time.format(end) + " (" + zoneName(start) + ")";
    slot.hidden = false;
  });
})();
