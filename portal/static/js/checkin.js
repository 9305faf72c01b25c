// The check-in page, progressively enhanced: counts that follow other organizers' check-ins,
// and a QR scanner that reads a code with the camera and sends it through the code form, just
// as if it had been typed. Without this script, the page works the same by hand.
(function () {
  "use strict";
  var POLL_SECONDS = 10;
  // Kept for this tab only: after a scan the page reloads, and scanning goes on by itself.
  var SCANNING_KEY = "portal-checkin-scanning";
  // The code just sent. The badge is usually still in front of the camera when scanning
  // resumes, so that code is ignored until a frame without it has been seen.
  var LAST_CODE_KEY = "portal-checkin-last-code";

  function followCounts() {
    var section = document.querySelector("[data-counts-url]");
    if (!section || !window.fetch) return;
    function show(counts) {
      section.querySelectorAll("[data-count]").forEach(function (cell) {
        var value = cell.dataset.count.split(".").reduce(function (part, key) {
          return part && key in part ? part[key] : part && part.by_mode && part.by_mode[key];
        }, counts);
        if (typeof value === "number") cell.textContent = String(value);
      });
    }
    function poll() {
      if (document.hidden) return;
      fetch(section.dataset.countsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (counts) { if (counts) show(counts); })
        .catch(function () { /* offline for a moment: the next poll tries again */ });
    }
    window.setInterval(poll, POLL_SECONDS * 1000);
    document.addEventListener("visibilitychange", poll);
  }

  function scanner() {
    var box = document.querySelector("[data-scanner]");
    var form = document.getElementById("code-form");
    if (!box || !form || typeof window.jsQR !== "function" ||
        !(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) {
      return;
    }
    var start = box.querySelector("[data-scanner-start]");
    var stop = box.querySelector("[data-scanner-stop]");
    var status = box.querySelector("[data-scanner-status]");
    var video = box.querySelector("[data-scanner-video]");
    var input = form.querySelector("input[name=code]");
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    var stream = null;

    function say(name) { status.textContent = status.dataset["message" + name] || ""; }

    function close() {
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
      video.hidden = true;
      stop.hidden = true;
      start.hidden = false;
    }

    function look() {
      if (!stream) return;
      if (video.readyState >= video.HAVE_ENOUGH_DATA && video.videoWidth) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
        var code = found && found.data ? found.data.trim() : "";
        if (code && code === sessionStorage.getItem(LAST_CODE_KEY)) {
          code = "";
        } else {
          sessionStorage.removeItem(LAST_CODE_KEY);
        }
        if (code) {
          input.value = code;
          sessionStorage.setItem(LAST_CODE_KEY, code);
          close();
          form.requestSubmit ? form.requestSubmit() : form.submit();
          return;
        }
      }
      window.requestAnimationFrame(look);
    }

    function open() {
      say("Starting");
      start.hidden = true;
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .then(function (media) {
          stream = media;
          sessionStorage.setItem(SCANNING_KEY, "1");
          video.srcObject = media;
          video.hidden = false;
          stop.hidden = false;
          say("Scanning");
          return video.play();
        })
        .then(function () { window.requestAnimationFrame(look); })
        .catch(function () {
          sessionStorage.removeItem(SCANNING_KEY);
          close();
          say("Denied");
        });
    }

    start.addEventListener("click", open);
    stop.addEventListener("click", function () {
      sessionStorage.removeItem(SCANNING_KEY);
      sessionStorage.removeItem(LAST_CODE_KEY);
      close();
      status.textContent = "";
      start.focus();
    });
    box.hidden = false;
    if (sessionStorage.getItem(SCANNING_KEY)) open();
  }

  followCounts();
  scanner();
})();
