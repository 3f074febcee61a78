// The phone's camera as a card reader for the check-in page: window.CornerCamera.
//
//   CornerCamera.available()  -> true when a live camera can work here (a secure context:
//       https or 127.0.0.1, and a browser with getUserMedia).
//   CornerCamera.start(video, {decodeUrl, headers, onText, onError}) -> Promise<stop>
//       Shows the back camera in <video> and reads QR codes off it: in the browser with
//       BarcodeDetector where it exists and knows qr_code, otherwise by POSTing a frame (JPEG, long
//       side <= 1280 px) to decodeUrl about every 500 ms, one request at a time; the server answers
//       {"texts": [...]}. onText(text) is called once for a code that comes into view; the same
//       code again only after it has been out of view for 3 s (a card held in front of the camera
//       is one scan). onError(error) is called once when decoding starts failing (server gone,
//       refused frame) and again only after a success; the camera keeps trying. The promise
//       rejects when the camera cannot start. stop() ends the camera; stop.mode is "detector" or
//       "server".
//   CornerCamera.photo(file, {decodeUrl, headers}) -> Promise<string[]>
//       A photo from <input type=file accept="image/*" capture="environment"> (this works on plain
//       http, where a phone allows no live camera): scaled to <= 1600 px, sent as JPEG, the texts
//       of the QR codes found returned ([] for none).
//
// Errors are Error objects with a code, for the page to put in its own words: camera_unavailable
// (not a secure context, or no getUserMedia), camera_denied, camera_missing, camera_failed,
// camera_ended (the camera went away while running), network (no answer from the server), or
// the server's own code (image_invalid, invalid_request, ...; then error.message is the server's
// translated message and error.status the HTTP status). No dependencies: plain browser APIs.
"use strict";

(function () {
  const FRAME_EVERY_MS = 500; // server decoding: one frame at most this often
  const DETECT_EVERY_MS = 200; // BarcodeDetector runs on the phone: it can look more often
  const RETRY_EVERY_MS = 2000; // after a failure (server gone), do not hammer it
  const REPEAT_AFTER_MS = 3000;
  const FRAME_LONG_SIDE = 1280;
  const PHOTO_LONG_SIDE = 1600;
  const JPEG_QUALITY = 0.85;

  function cameraError(code, message, cause) {
    const error = new Error(message || code);
    error.code = code;
    if (cause !== undefined) error.cause = cause;
    return error;
  }

  // a page's callback that throws must not stop the camera; the error still shows in the console
  function call(callback, value) {
    if (typeof callback !== "function") return;
    try {
      callback(value);
    } catch (error) {
      setTimeout(() => { throw error; }, 0);
    }
  }

  function available() {
    return Boolean(
      window.isSecureContext &&
        navigator.mediaDevices &&
        typeof navigator.mediaDevices.getUserMedia === "function"
    );
  }

  async function qrDetector() {
    if (typeof window.BarcodeDetector !== "function") return null;
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (!formats || !formats.includes("qr_code")) return null;
      return new window.BarcodeDetector({ formats: ["qr_code"] });
    } catch (error) {
      return null; // present but not working here (Chromium on a desktop Linux, for one)
    }
  }

  // draw the source (a video or an image) into the canvas, long side at most longSide; JPEG
  function toJpeg(source, width, height, longSide, canvas) {
    const scale = Math.min(1, longSide / Math.max(width, height));
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    canvas.getContext("2d").drawImage(source, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve, reject) => {
      canvas.toBlob(
        (blob) => (blob ? resolve(blob) : reject(cameraError("image_invalid"))),
        "image/jpeg",
        JPEG_QUALITY
      );
    });
  }

  async function decodeOnServer(url, headers, body, signal) {
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: Object.assign({}, headers || {}, {
          "Content-Type": body.type || "application/octet-stream",
        }),
        body: body,
        signal: signal,
      });
    } catch (error) {
      if (error && error.name === "AbortError") throw error;
      throw cameraError("network", "", error);
    }
    let data = null;
    try {
      data = await response.json();
    } catch (parseError) {
      data = null;
    }
    if (!response.ok) {
      const info = (data && data.error) || {};
      const error = cameraError(info.code || "http_" + response.status, info.message);
      error.status = response.status;
      throw error;
    }
    if (!data || !Array.isArray(data.texts)) throw cameraError("invalid_response");
    return data.texts.filter((text) => typeof text === "string" && text !== "");
  }

  function startError(error) {
    const name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") return "camera_denied";
    if (name === "NotFoundError" || name === "OverconstrainedError") return "camera_missing";
    return "camera_failed";
  }

  async function start(video, options) {
    const opts = options || {};
    if (!available()) throw cameraError("camera_unavailable");
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: {
          facingMode: { ideal: "environment" },
          width: { ideal: 1280 },
          height: { ideal: 720 },
        },
      });
    } catch (error) {
      throw cameraError(startError(error), error && error.message, error);
    }
    // muted + playsinline: allowed to play at once, and inside the page on an iPhone
    video.muted = true;
    video.setAttribute("playsinline", "");
    video.srcObject = stream;
    try {
      await video.play();
    } catch (error) {
      stream.getTracks().forEach((track) => track.stop());
      video.srcObject = null;
      throw cameraError("camera_failed", error && error.message, error);
    }

    let detector = await qrDetector();
    const canvas = document.createElement("canvas");
    const lastSeen = new Map(); // text -> when it was last in view
    let running = true;
    let failing = false;
    let timer = null;
    let controller = null;

    function seen(texts) {
      const now = performance.now();
      for (const text of texts) {
        const last = lastSeen.get(text);
        lastSeen.set(text, now);
        if (last === undefined || now - last >= REPEAT_AFTER_MS) call(opts.onText, text);
      }
    }

    async function look() {
      if (detector) {
        try {
          const codes = await detector.detect(video);
          return codes.map((code) => code.rawValue).filter(Boolean);
        } catch (error) {
          detector = null; // it failed on a real frame: let the server read from now on
          stop.mode = "server";
        }
      }
      const blob = await toJpeg(
        video, video.videoWidth, video.videoHeight, FRAME_LONG_SIDE, canvas
      );
      controller = new AbortController();
      try {
        return await decodeOnServer(opts.decodeUrl, opts.headers, blob, controller.signal);
      } finally {
        controller = null;
      }
    }

    async function tick() {
      timer = null;
      const began = performance.now();
      let wait = detector ? DETECT_EVERY_MS : FRAME_EVERY_MS;
      // a hidden page (phone locked, other tab) sends nothing; a video not playing has no frame
      if (!document.hidden && video.readyState >= 2 && video.videoWidth > 0) {
        try {
          const texts = await look();
          if (!running) return;
          failing = false;
          seen(texts);
        } catch (error) {
          if (!running) return;
          if (!failing) call(opts.onError, error);
          failing = true;
          wait = RETRY_EVERY_MS;
        }
      }
      if (running) timer = setTimeout(tick, Math.max(0, wait - (performance.now() - began)));
    }

    function stop() {
      if (!running) return;
      running = false;
      if (timer !== null) clearTimeout(timer);
      if (controller) controller.abort();
      stream.getTracks().forEach((track) => track.stop());
      if (video.srcObject === stream) video.srcObject = null;
    }
    stop.mode = detector ? "detector" : "server";

    stream.getVideoTracks().forEach((track) => {
      track.addEventListener("ended", () => {
        if (!running) return;
        stop();
        call(opts.onError, cameraError("camera_ended"));
      });
    });
    tick();
    return stop;
  }

  async function photo(file, options) {
    const opts = options || {};
    let body = file;
    const url = URL.createObjectURL(file);
    try {
      const image = new Image();
      image.src = url;
      await image.decode(); // the browser turns it upright (EXIF) as it draws it
      body = await toJpeg(
        image, image.naturalWidth, image.naturalHeight, PHOTO_LONG_SIDE,
        document.createElement("canvas")
      );
    } catch (error) {
      body = file; // a picture this browser cannot show: the server says what is wrong with it
    } finally {
      URL.revokeObjectURL(url);
    }
    return decodeOnServer(opts.decodeUrl, opts.headers, body, undefined);
  }

  window.CornerCamera = { available: available, start: start, photo: photo };
})();
