// The live page, progressively enhanced: a countdown to an upcoming broadcast, players that fit
// the screen, and hls.js for HLS streams where the browser cannot play them natively.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  var UNITS = [["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];

  function duration(seconds) {
    var parts = [];
    UNITS.forEach(function (unit) {
      var count = Math.floor(seconds / unit[1]);
      seconds -= count * unit[1];
      if (count > 0 || (parts.length === 0 && unit[0] === "second")) {
        parts.push(new Intl.NumberFormat(lang, { style: "unit", unit: unit[0], unitDisplay: "long" })
          .format(count));
      }
    });
    return new Intl.ListFormat(lang, { style: "long", type: "unit" }).format(parts);
  }

  function startCountdown(slot) {
    var start = new Date(slot.dataset.start).getTime();
    function tick() {
      var seconds = Math.ceil((start - Date.now()) / 1000);
      if (seconds <= 0) {
        slot.textContent = slot.dataset.started;
        return;
      }
      slot.textContent = slot.dataset.label + " " + duration(seconds);
      window.setTimeout(tick, 1000);
    }
    tick();
    slot.hidden = false;
  }

  function fitToScreen(player) {
    player.style.width = "100%";
    player.style.maxWidth = player.getAttribute("width") + "px";
    player.style.height = "auto";
    player.style.aspectRatio = player.getAttribute("width") + " / " + player.getAttribute("height");
  }

  function attachHls(video) {
    var nativeHls = video.canPlayType("application/vnd.apple.mpegurl") !== "";
    if (nativeHls || !window.Hls || !window.Hls.isSupported()) {
      return;
    }
    video.removeAttribute("src");
    // No worker: the page's policy allows scripts from this site only, not blob: workers.
    var hls = new window.Hls({ enableWorker: false });
    hls.loadSource(video.dataset.hls);
    hls.attachMedia(video);
  }

  document.querySelectorAll("[data-countdown]").forEach(startCountdown);
  document.querySelectorAll("[data-player]").forEach(fitToScreen);
  document.querySelectorAll("video[data-hls]").forEach(attachHls);
})();
