// Exchange Corner check-in page: the PIN keypad, the activity list and the check-in screen.
// Cards arrive four ways: a USB QR scanner "types" the token and Enter anywhere on the page,
// an NFC tap on the kiosk's reader is checked in by the server and pushed here (server-sent
// events), the camera (camera.js), and a member number typed by the organiser.
// When the server cannot be reached, scans wait in localStorage with the request id made at
// scan time, and are sent as one batch when it answers again: a resend never awards twice.
"use strict";

(function () {
  const { fill, element } = Corner;
  const config = Corner.config("checkin-config");
  const T = config.strings;
  const $ = Corner.byId;
  let csrfToken = config.csrf_token;
  const csrfHeaders = { "X-CSRFToken": csrfToken };  // camera.js reads it at each request

  function withLanguage(path) { return Corner.withLanguage(path, config.language); }
  function setCsrf(token) {
    if (!token) return;
    csrfToken = token;
    csrfHeaders["X-CSRFToken"] = token;
  }

  // A refusal keeps the server's code and words; "network" means the server did not answer
  // (nor did a proxy's 502, 503 or 504).
  async function call(method, path, body) {
    return Corner.requestJson(method, withLanguage(path), body, {
      strings: T,
      headers: { "X-CSRFToken": csrfToken },
      init: { cache: "no-store", credentials: "same-origin" },
      unreachable: [502, 503, 504],
    });
  }

  function errorText(error) {
    return error.message || T["error_" + error.code] || T.error_invalid_request;
  }

  // ---- the PIN keypad ----
  function keypad(box, onPin) {
    let digits = "";
    let busy = false;
    const dots = box.querySelectorAll(".pin-dot");
    const typed = box.querySelector(".pin-typed");
    const problem = box.querySelector(".pin-error");
    function draw() {
      dots.forEach((dot, index) => dot.classList.toggle("filled", index < digits.length));
      typed.textContent = digits.length + " / " + config.pin_length;
      box.dataset.length = String(digits.length);
    }
    function say(text) { problem.textContent = text; problem.hidden = !text; }
    async function submit() {
      busy = true;
      box.classList.add("busy");
      try {
        await onPin(digits);
      } catch (error) {
        say(errorText(error));
      } finally {
        digits = "";
        busy = false;
        box.classList.remove("busy");
        draw();
      }
    }
    function press(key) {
      if (busy) return;
      if (key === "clear") digits = "";
      else if (key === "back") digits = digits.slice(0, -1);
      else if (digits.length < config.pin_length) digits += key;
      if (key !== "back" && key !== "clear") say("");
      draw();
      if (digits.length === config.pin_length) submit();
    }
    for (const button of box.querySelectorAll(".key")) {
      button.addEventListener("click", () => press(button.dataset.digit || button.dataset.key));
    }
    draw();
    return {
      press: press,
      reset() { digits = ""; say(""); draw(); },
    };
  }

  function go(next) { location.assign(next); }

  // ---- leaving check-in: a PIN page needs an organiser's PIN again ----
  function setUpLeaving(queuedCount) {
    const dialog = $("leave-dialog");
    if (!dialog) {
      // a password login: "Finish" is a link back to the admin, or on a kiosk a button that
      // ends the login, so that no admin page is left open to the next member
      if ($("leave") && $("leave").tagName === "BUTTON") {
        $("leave").addEventListener("click", async () => {
          try { go((await call("POST", config.urls.leave, {})).next); }
          catch (error) { $("leave").textContent = errorText(error); }  // say why, stay
        });
      }
      return;
    }
    const pad = keypad($("leave-keypad"), async (pin) => {
      const answer = await call("POST", config.urls.leave, { pin: pin });
      go(answer.next);
    });
    $("leave").addEventListener("click", () => {
      pad.reset();
      const waiting = queuedCount();
      $("leave-queue").textContent = waiting ? fill(T.leave_queue, waiting) : "";
      $("leave-queue").hidden = !waiting;
      dialog.hidden = false;
      $("leave-cancel").focus();
    });
    $("leave-cancel").addEventListener("click", () => { dialog.hidden = true; });
  }

  if (config.page === "pin") {
    const box = $("pin-keypad");
    if (box) {
      keypad(box, async (pin) => {
        const answer = await call("POST", config.urls.pin, { pin: pin });
        go(answer.next);
      });
      // No typing here: a card held to the USB scanner "types" digits too, and those would be
      // counted as wrong PINs until the kiosk locks.
      // a member who tapped "Staff" by mistake and walked away: back to the start screen
      let lastTouch = Date.now();
      document.addEventListener("pointerdown", () => { lastTouch = Date.now(); }, { capture: true });
      setInterval(() => {
        if ((Date.now() - lastTouch) / 1000 > config.idle_seconds) location.assign(config.back_url);
      }, 1000);
    }
    return;
  }
  if (config.page === "list") {
    setUpLeaving(() => 0);
    return;
  }

  // ---- the check-in screen ----
  const activityId = config.activity_id;
  const QUEUE_KEY = "corner-checkin-queue:" + activityId;
  const REFUSED_KEY = "corner-checkin-refused:" + activityId;
  const POLL_MS = 3000;
  const BATCH_SIZE = 100;

  function load(key) {
    try { return JSON.parse(localStorage.getItem(key)) || []; } catch (error) { return []; }
  }
  const state = {
    action: "in",
    online: true,
    loginEnded: false,
    sending: false,
    queue: load(QUEUE_KEY),     // [{credential, request_id, action, time}]
    refused: load(REFUSED_KEY), // [{label, name, message, code, time}]
  };
  function save() {
    localStorage.setItem(QUEUE_KEY, JSON.stringify(state.queue));
    localStorage.setItem(REFUSED_KEY, JSON.stringify(state.refused));
  }

  // what the organiser sees of a queued scan: a QR token names its member number (the token's
  // format is cards/token.py's TOKEN_PATTERN; a scanner with Caps Lock on types lower case)
  const TOKEN = new RegExp(config.token_pattern);
  function labelOf(credential) {
    const token = TOKEN.exec(credential.toUpperCase());
    if (token) return fill(T.member, token[1]);
    const text = credential.length > 24 ? credential.slice(0, 24) + "…" : credential;
    return fill(T.member, text);
  }
  function clock(time) {
    const moment = new Date(time);
    return String(moment.getHours()).padStart(2, "0") + ":" + String(moment.getMinutes()).padStart(2, "0");
  }

  // ---- the big answer ----
  const MARKS = { accepted: "✓", refused: "✕", queued: "…", busy: "", idle: "" };
  function paint(kind, name, text, code) {
    const panel = $("result");
    panel.dataset.state = kind;
    panel.dataset.code = code || "";
    $("result-mark").textContent = MARKS[kind];
    $("result-name").textContent = name || "";
    $("result-text").textContent = text;
    panel.classList.remove("fresh");
    void panel.offsetWidth;  // restart the animation: the same words again are still news
    panel.classList.add("fresh");
  }

  function showOutcome(outcome) {
    if (outcome.accepted) {
      let text;
      if (outcome.action === "out") text = T.checked_out;
      else if (outcome.points) text = T.checked_in + " " + fill(T.plus_points, outcome.points);
      else if (outcome.status === "pending") text = T.checked_in + " · " + T.pending_points;
      else text = T.checked_in;
      paint("accepted", outcome.member_name, text, outcome.code);
      return;
    }
    const who = outcome.member_name || (outcome.member_number ? labelOf(outcome.member_number) : "");
    paint("refused", who, outcome.message || T["error_" + outcome.code] || T.error_invalid_request,
      outcome.code);
  }

  // ---- the running count and the last names ----
  function drawBoard(board) {
    $("count-in").textContent = String(board.checked_in);
    $("count-out").textContent = String(board.checked_out);
    $("count-out-line").hidden = !board.checked_out && state.action !== "out";
    const list = $("last");
    list.replaceChildren();
    for (const line of board.last) {
      const li = element("li");
      li.dataset.action = line.action;
      const who = element("span", "last-name", line.name);
      if (line.action === "out") who.append(element("span", "last-out", T.action_out));
      li.append(who, element("span", "last-when", (line.created || "").slice(11, 16)));
      list.append(li);
    }
    $("last-empty").hidden = board.last.length > 0;
  }

  // ---- the offline queue and the refused list ----
  function drawQueue() {
    const waiting = state.queue.length ? " " + fill(T.queue_count, state.queue.length) : "";
    $("offline-text").textContent = (state.loginEnded ? T.login_again : T.offline) + waiting;
    $("offline").hidden = state.online && !state.loginEnded;
    $("login-again").hidden = !state.loginEnded;
    $("queue").hidden = state.queue.length === 0;
    $("queue-count").textContent = state.sending ? T.sending : fill(T.queue_count, state.queue.length);
    const list = $("queue-list");
    list.replaceChildren();
    for (const item of state.queue) {
      const li = element("li");
      const what = labelOf(item.credential) + (item.action === "out" ? " · " + T.action_out : "");
      li.append(element("span", "", what), element("span", "", clock(item.time)));
      list.append(li);
    }
    $("refused").hidden = state.refused.length === 0;
    const refused = $("refused-list");
    refused.replaceChildren();
    for (const item of state.refused) {
      const li = element("li");
      li.dataset.code = item.code;
      li.append(element("span", "refused-who", (item.name || item.label) + " · " + clock(item.time)),
        element("span", "refused-why", item.message));
      refused.append(li);
    }
    document.body.dataset.queued = String(state.queue.length);
    document.body.dataset.online = String(state.online);
  }

  function enqueue(item) {
    const same = state.queue.find((queued) =>
      queued.credential === item.credential && queued.action === item.action);
    if (same) {
      paint("queued", labelOf(item.credential), T.already_queued, "queued");
      return;
    }
    state.queue.push(item);
    save();
    drawQueue();
    paint("queued", labelOf(item.credential), T.queued, "queued");
  }

  function loginEnded() {
    state.loginEnded = true;
    drawQueue();
  }

  async function flush() {
    if (state.sending || state.queue.length === 0 || !state.online || state.loginEnded) return;
    state.sending = true;
    drawQueue();
    let accepted = 0;
    let refused = 0;
    try {
      while (state.queue.length) {
        const chunk = state.queue.slice(0, BATCH_SIZE);
        const answer = await call("POST", config.urls.batch, {
          scans: chunk.map((item) => ({
            credential: item.credential, request_id: item.request_id, action: item.action })),
        });
        const sent = new Map(chunk.map((item) => [item.request_id, item]));
        const answered = new Set();
        for (const outcome of answer.accepted) answered.add(outcome.request_id);
        accepted += answer.accepted.length;
        refused += answer.refused.length;
        for (const outcome of answer.refused) {
          answered.add(outcome.request_id);
          const item = sent.get(outcome.request_id);
          state.refused.push({
            label: item ? labelOf(item.credential) : labelOf(outcome.member_number || "?"),
            name: outcome.member_name,
            code: outcome.code,
            message: outcome.message || T["error_" + outcome.code] || T.error_invalid_request,
            time: item ? item.time : Date.now(),
          });
        }
        // a scan leaves the queue only with its answer; one scanned meanwhile stays
        state.queue = state.queue.filter((item) => !answered.has(item.request_id));
        save();
        drawQueue();
        if (answered.size === 0) break;
      }
    } catch (error) {
      if (error.code === "network") goOffline();
      else if (error.status === 401) loginEnded();
      else paint("refused", "", errorText(error), error.code);
    } finally {
      state.sending = false;
      drawQueue();
    }
    // the answer panel may still say "saved on this device": say what came of it
    if (refused) paint("refused", "", fill(T.sent_refused, refused), "sent_refused");
    else if (accepted) paint("accepted", "", fill(T.sent_all, accepted), "sent_all");
  }

  // ---- is the server there? ----
  let pollTimer = null;
  let checking = false;
  function goOffline() {
    state.online = false;
    drawQueue();
    if (!pollTimer) pollTimer = setTimeout(checkServer, POLL_MS);
  }
  async function checkServer() {
    clearTimeout(pollTimer);
    pollTimer = null;
    if (checking) return;
    checking = true;
    try {
      const board = await call("GET", config.urls.board);
      setCsrf(board.csrf_token);
      drawBoard(board);
      state.online = true;
      state.loginEnded = false;
      drawQueue();
      flush();
    } catch (error) {
      if (error.code === "network") goOffline();
      else if (error.status === 401) loginEnded();
    } finally {
      checking = false;
    }
  }
  window.addEventListener("online", checkServer);
  window.addEventListener("offline", goOffline);

  // ---- a scan ----
  // text no card carries (too long, or with control characters) is refused here, never queued:
  // the server would refuse it as a malformed request, and a queue must not hold one
  const NOT_A_SCAN = /[\u0000-\u001f\u007f-\u009f]/;
  async function scan(credential) {
    credential = String(credential || "").trim();
    if (!credential) return;
    if (credential.length > config.max_credential || NOT_A_SCAN.test(credential)) {
      paint("refused", "", T.error_card_invalid, "card_invalid");
      return;
    }
    const item = { credential: credential, request_id: Corner.requestId("checkin-"), action: state.action, time: Date.now() };
    if (!state.online || state.loginEnded) { enqueue(item); return; }
    paint("busy", "", T.reading, "busy");
    try {
      showOutcome(await call("POST", config.urls.scan,
        { credential: item.credential, request_id: item.request_id, action: item.action }));
    } catch (error) {
      if (error.code === "network") {
        goOffline();
        enqueue(item);
      } else if (error.status === 401) {
        loginEnded();
        enqueue(item);  // nothing is lost: it is sent after the next login
      } else {
        paint("refused", "", errorText(error), error.code);
      }
    }
  }
  window.checkinScan = scan;  // for tests and the camera

  // USB scanner: keystrokes and Enter anywhere but in the number field or the leave keypad
  CornerScanner.listen(scan, (event) => {
    if (event.target.closest && event.target.closest("input, textarea, select")) return true;
    const dialog = $("leave-dialog");
    return Boolean(dialog && !dialog.hidden);
  });

  $("number-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const field = $("number");
    const number = field.value.trim().toUpperCase();
    if (!number) { paint("refused", "", T.number_needed, "number_needed"); field.focus(); return; }
    field.value = "";
    scan(number);
  });

  // ---- check in or check out ----
  function setAction(action) {
    state.action = action;
    for (const button of document.querySelectorAll(".switch-button")) {
      button.setAttribute("aria-pressed", String(button.dataset.action === action));
    }
    document.body.dataset.action = action;
    $("number-send").textContent = action === "out" ? T.action_out : T.action_in;
    $("count-out-line").hidden = action !== "out" && $("count-out").textContent === "0";
    listen();  // the kiosk's card taps follow the switch
  }
  for (const button of document.querySelectorAll(".switch-button")) {
    button.addEventListener("click", () => { if (state.action !== button.dataset.action) setAction(button.dataset.action); });
  }

  // ---- card taps and everybody's check-ins, pushed by the server ----
  function showReaders(status) { Corner.showReaders($("reader-status"), status, T); }

  let source = null;
  function listen() {
    if (source) source.close();
    source = new EventSource(withLanguage(config.urls.events + "?action=" + state.action));
    // after a server restart, or offline and back: fetch what was missed and send the queue
    source.addEventListener("open", () => { if (!state.online || state.queue.length) checkServer(); });
    source.addEventListener("error", () => { if (state.online) checkServer(); });
    source.addEventListener("status", (event) => showReaders(JSON.parse(event.data)));
    source.addEventListener("checkin", (event) => {
      const data = JSON.parse(event.data);
      drawBoard(data.board);
      if (data.mine) for (const outcome of data.outcomes) showOutcome(outcome);
    });
    source.addEventListener("card_error", (event) => {
      const code = JSON.parse(event.data).code;
      paint("refused", "", T["error_" + code] || T.error_card_invalid, code);
    });
    window.checkinEvents = source;  // for tests: readyState says whether taps can arrive
  }

  // ---- the camera (camera.js): live where the browser allows it, else a photo ----
  let stopCamera = null;
  const camera = window.CornerCamera;
  const decodeUrl = withLanguage(config.urls.decode);
  if (camera && camera.available()) $("camera-start").hidden = false;
  else if (camera) $("photo-label").hidden = false;

  async function cameraOff() {
    const stop = stopCamera;
    stopCamera = null;
    $("camera-box").hidden = true;
    $("camera-start").hidden = false;
    if (stop) await stop();
  }
  $("camera-start").addEventListener("click", async () => {
    $("camera-box").hidden = false;
    $("camera-start").hidden = true;
    try {
      stopCamera = await camera.start($("camera-video"), {
        decodeUrl: decodeUrl,
        headers: csrfHeaders,
        onText: (text) => scan(text),
        onError: () => {},  // a frame the server could not take; the next one may do
      });
      document.body.dataset.camera = "on";
    } catch (error) {
      await cameraOff();
      paint("refused", "", T.camera_failed, "camera_failed");
      $("photo-label").hidden = false;  // a photo still works where live video does not
    }
  });
  $("camera-stop").addEventListener("click", () => {
    document.body.dataset.camera = "off";
    cameraOff();
  });
  $("photo").addEventListener("change", async () => {
    const file = $("photo").files[0];
    $("photo").value = "";
    if (!file) return;
    paint("busy", "", T.reading, "busy");
    try {
      const texts = await camera.photo(file, { decodeUrl: decodeUrl, headers: csrfHeaders });
      if (!texts.length) { paint("refused", "", T.no_code, "no_code"); return; }
      for (const text of texts) await scan(text);
    } catch (error) {
      paint("refused", "", errorText(error), error.code);
    }
  });

  $("refused-ok").addEventListener("click", () => {
    state.refused = [];
    save();
    drawQueue();
  });

  setUpLeaving(() => state.queue.length);
  drawBoard(config.board);
  drawQueue();
  listen();
  if (state.queue.length) checkServer();  // scans left from last time: send them now
})();
