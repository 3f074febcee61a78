// The small helpers the kiosk page (kiosk.js) and the check-in pages (checkin.js) share:
// window.Corner. Load it before either script. Plain browser APIs, no build step.
"use strict";

window.Corner = (function () {
  function byId(id) { return document.getElementById(id); }

  // the page's values, handed over by the template as JSON in <script type="application/json">
  function config(id) { return JSON.parse(byId(id).textContent); }

  // a sentence with one number in it: fill(T.x, 3) for "%(n)s"
  function fill(text, n) { return text.replace("%(n)s", String(n)); }

  function withLanguage(path, language) {
    return path + (path.includes("?") ? "&" : "?") + "lang=" + encodeURIComponent(language);
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // a request id made when the member or organiser acts: a resend of it never counts twice
  function requestId(prefix) {
    // crypto.randomUUID needs a secure context; a kiosk or phone on the LAN over http has none
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // A JSON request. A refusal keeps the server's code and words (and the HTTP status);
  // "network" means the server did not answer. options: strings (the page's words: network,
  // error_invalid_request), headers (sent with a body), init (more fetch options),
  // unreachable (statuses that mean the server is not there, e.g. a proxy's 502).
  async function requestJson(method, url, body, options) {
    const T = options.strings;
    let response;
    try {
      response = await fetch(url, Object.assign({
        method: method,
        headers: body === undefined ? {} : Object.assign({ "Content-Type": "application/json" }, options.headers),
        body: body === undefined ? undefined : JSON.stringify(body),
      }, options.init));
    } catch (networkError) {
      throw { code: "network", message: T.network };
    }
    if ((options.unreachable || []).includes(response.status)) throw { code: "network", message: T.network };
    let data = null;
    try { data = await response.json(); } catch (parseError) { data = null; }
    if (!response.ok) {
      const error = (data && data.error) || { code: "invalid_request", message: T.error_invalid_request };
      error.status = response.status;
      throw error;
    }
    return data;
  }

  // the card reader's line: {service: "off" | "running" | ..., readers: [...]}, pushed by the server
  function showReaders(line, status, T) {
    if (status.service === "off") { line.hidden = true; return; }
    const ready = status.service === "running" && status.readers.length > 0;
    line.textContent = ready ? T.reader_ready : T.reader_missing;
    line.className = "reader-status " + (ready ? "ready" : "missing");
    line.dataset.state = ready ? "ready" : "missing";
    line.hidden = false;
  }

  return {
    byId: byId,
    config: config,
    fill: fill,
    withLanguage: withLanguage,
    element: element,
    requestId: requestId,
    requestJson: requestJson,
    showReaders: showReaders,
  };
})();
