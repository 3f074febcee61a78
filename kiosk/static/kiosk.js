// Exchange Corner kiosk page: start -> member (goods and cart) -> confirm -> receipt.
// A USB QR scanner "types" the card token and Enter on whatever screen shows; we collect those
// keystrokes without a visible text field. No typing anywhere on the member's path.
"use strict";

(function () {
  const { fill, element } = Corner;
  const config = Corner.config("kiosk-config");
  const T = config.strings;
  const $ = Corner.byId;
  const state = { session: null, member: null, balance: 0, allowances: {}, goods: [], cart: new Map(), requestId: null };

  // a sentence with several named parts: fillAll(T.x, {n: 1, total: 5})
  function fillAll(text, values) {
    return text.replace(/%\((\w+)\)s/g, (whole, key) => (key in values ? String(values[key]) : whole));
  }
  function apiUrl(path) { return Corner.withLanguage(path, config.language); }

  async function api(method, path, body) {
    return Corner.requestJson(method, apiUrl(path), body, { strings: T });
  }

  // ---- screens ----
  const screens = ["start", "member", "confirm", "receipt", "record"];
  function show(name) {
    for (const screen of screens) $("screen-" + screen).hidden = screen !== name;
    // languages only before a card is scanned; who is here and their points after it
    $("language").hidden = name !== "start";
    $("member-info").hidden = name === "start";
    $("balance-box").hidden = name === "start";
    $("finish").hidden = name === "start" || name === "receipt";  // the receipt has its own
    document.body.dataset.screen = name;
  }

  function showError(error) {
    hideBusy();
    $("error-text").textContent = error.message || T.error_invalid_request;
    $("error").dataset.code = error.code || "";
    $("error").hidden = false;
    $("error-ok").focus();
  }
  function showBusy(text) { $("busy-text").textContent = text; $("busy").hidden = false; }
  function hideBusy() { $("busy").hidden = true; }

  // ---- scanning: a QR token typed by the scanner, or an NFC tap pushed by the server ----
  async function scan(credential) {
    showBusy(T.reading);
    try {
      arrived(await api("POST", "/api/kiosk/scan", { credential: credential }));
    } catch (error) {
      showError(error);
    }
  }

  // A card was accepted and the server opened a session for its member.
  function arrived(session) {
    if (state.member && state.member.number === session.member.number) {
      endSession(session.session);  // the same card again: keep the cart and the first session
      hideBusy();
      return;
    }
    if (state.member) {
      askSwitch(session);  // a different member's card: only after a confirmation
      return;
    }
    enter(session);
  }

  async function enter(session) {
    showBusy(T.reading);
    try {
      const catalog = await api("GET", "/api/kiosk/catalog");
      if (state.session && state.session !== session.session) endSession(state.session);
      state.session = session.session;
      state.member = session.member;
      state.balance = session.balance;
      state.allowances = session.allowances || {};
      state.goods = catalog.goods;
      state.cart = new Map();
      state.requestId = null;
      hideBusy();
      $("error").hidden = true;
      $("switch").hidden = true;
      renderMember();
      show("member");
      showStanding(session.session);
      // for bench/tap.py: when the balance was on screen (the frame after the one that drew it)
      requestAnimationFrame(() => requestAnimationFrame(() => {
        window.kioskPainted = { at: performance.timeOrigin + performance.now(),
          reader_event_at: session.reader_event_at || null, number: session.member.number };
      }));
    } catch (error) {
      endSession(session.session);
      showError(error);
    }
  }

  let pendingSwitch = null;
  function askSwitch(session) {
    hideBusy();
    if (pendingSwitch) endSession(pendingSwitch.session);
    pendingSwitch = session;
    $("switch-text").textContent = fill(T.switch_question, session.member.name);
    $("switch").hidden = false;
    $("switch-no").focus();
  }
  $("switch-yes").addEventListener("click", () => {
    const session = pendingSwitch;
    pendingSwitch = null;
    $("switch").hidden = true;
    if (session) enter(session);
  });
  $("switch-no").addEventListener("click", () => {
    if (pendingSwitch) endSession(pendingSwitch.session);
    pendingSwitch = null;
    $("switch").hidden = true;
  });

  // ---- NFC taps and reader status, pushed by the server (server-sent events) ----
  function showReaders(status) { Corner.showReaders($("reader-status"), status, T); }

  async function listenForTaps() {
    try {
      showReaders(await api("GET", "/api/kiosk/status"));
    } catch (error) {
      return;  // a page on another machine that is not bound to a kiosk: QR cards only
    }
    // EventSource reconnects by itself (the server asks for 2 s) after a server restart
    const source = new EventSource(apiUrl("/api/kiosk/events"));
    source.addEventListener("status", (event) => showReaders(JSON.parse(event.data)));
    source.addEventListener("member", (event) => { touched(); arrived(JSON.parse(event.data)); });
    source.addEventListener("card_error", (event) => {
      touched();
      const code = JSON.parse(event.data).code;
      showError({ code: code, message: T["error_" + code] || T.error_card_invalid });
    });
    window.kioskEvents = source;  // for tests: readyState tells whether taps can arrive
  }

  CornerScanner.listen(scan);

  // ---- member screen ----
  function goodsById(id) { return state.goods.find((item) => item.id === id); }
  function cartTotal() {
    let total = 0;
    for (const [id, quantity] of state.cart) total += goodsById(id).points * quantity;
    return total;
  }

  // what stops one more of this item, in words (null: nothing does)
  function refusal(item) {
    const inCart = state.cart.get(item.id) || 0;
    if (item.stock <= 0) return T.out_of_stock;
    if (inCart >= item.stock) return T.no_more;
    const allowed = state.allowances[String(item.id)];
    if (allowed !== undefined && inCart >= allowed) return T.limit_reached;
    if (cartTotal() + item.points > state.balance) return T.not_enough;
    return null;
  }
  function canAddOne(item) { return refusal(item) === null; }

  // the member's quarter, in words, beside their number: asked for after the screen is up,
  // so the goods never wait for it; a refusal here changes nothing on the screen
  async function showStanding(session) {
    try {
      const mine = await api("POST", "/api/kiosk/standing", { session: session });
      if (state.session !== session) return;
      const stars = "★".repeat(mine.stars) + "☆".repeat(5 - mine.stars);
      let words = fillAll(mine.rank ? T.standing : T.standing_points,
        { points: mine.points, rank: mine.rank });
      if (mine.stars) words += " " + stars;
      if (mine.star_of_quarter) words += " · " + T.star_of_quarter;
      const line = $("member-quarter");
      line.textContent = words;
      line.setAttribute("aria-label", words.replace(stars, fill(T.stars_words, mine.stars)));
      line.hidden = false;
    } catch (_error) {
      // the quarter line is a courtesy: the member can still choose goods without it
    }
  }

  function renderMember() {
    $("member-name").textContent = state.member.name;
    $("member-number").textContent = state.member.number;
    $("balance").textContent = String(state.balance);
    // each item is one big button: a tap adds one; the words on it say what it costs and
    // whether it can be had, so no state is shown by colour alone
    const list = $("goods");
    list.replaceChildren();
    for (const item of state.goods) {
      const li = document.createElement("li");
      const button = element("button", "goods-card");
      button.type = "button";
      button.dataset.goodsId = String(item.id);
      const picture = element("span", "goods-picture");
      picture.setAttribute("aria-hidden", "true");
      if (item.picture) {
        const img = document.createElement("img");
        img.src = item.picture;
        img.alt = "";
        picture.append(img);
      } else {
        picture.classList.add("letter");
        picture.textContent = item.name.charAt(0);
      }
      const chosen = element("span", "goods-chosen");
      chosen.hidden = true;
      button.append(picture, chosen, element("span", "goods-name", item.name),
        element("span", "goods-price", fill(T.points, item.points)), element("span", "goods-stock"));
      button.addEventListener("click", () => changeCart(item.id, 1));
      li.append(button);
      list.append(li);
    }
    updateGoods();
    renderCart();
  }

  function updateGoods() {
    for (const button of $("goods").querySelectorAll(".goods-card")) {
      const item = goodsById(Number(button.dataset.goodsId));
      const inCart = state.cart.get(item.id) || 0;
      const refused = refusal(item);
      const status = button.querySelector(".goods-stock, .goods-state");
      status.className = refused ? "goods-state" : "goods-stock";
      status.textContent = refused || fill(T.stock_left, item.stock - inCart);
      const chosen = button.querySelector(".goods-chosen");
      chosen.hidden = inCart === 0;
      chosen.textContent = "✓ " + fill(T.in_cart, inCart);
      button.classList.toggle("chosen", inCart > 0);
      button.disabled = refused !== null;
    }
  }

  function renderCart() {
    const lines = $("cart-lines");
    const scrolled = lines.scrollLeft;  // keep the member's place in a long cart
    lines.replaceChildren();
    for (const [id, quantity] of state.cart) {
      const item = goodsById(id);
      const li = element("li", "cart-line");
      const less = element("button", "button secondary", "−");
      less.type = "button";
      less.setAttribute("aria-label", T.less + " " + item.name);
      less.addEventListener("click", () => changeCart(id, -1));
      const more = element("button", "button secondary", "+");
      more.type = "button";
      more.setAttribute("aria-label", T.more + " " + item.name);
      more.disabled = !canAddOne(item);
      more.addEventListener("click", () => changeCart(id, 1));
      li.append(less, element("span", "line-name", item.name + " " + fill(T.times, quantity)), more);
      lines.append(li);
    }
    lines.scrollLeft = scrolled;
    const total = cartTotal();
    $("cart-empty").hidden = state.cart.size > 0;
    $("cart-total").textContent = state.cart.size ? fill(T.total, total) : "";
    $("cart-after").textContent = state.cart.size ? fill(T.left_after, state.balance - total) : "";
    $("to-confirm").disabled = state.cart.size === 0;
  }

  function changeCart(id, step) {
    const item = goodsById(id);
    const quantity = (state.cart.get(id) || 0) + step;
    if (step > 0 && !canAddOne(item)) return;
    if (quantity <= 0) state.cart.delete(id); else state.cart.set(id, quantity);
    state.requestId = null;  // a changed cart is a new request
    updateGoods();
    renderCart();
    if (step > 0) showCartLine([...state.cart.keys()].indexOf(id));
  }

  // a long cart scrolls sideways: bring the line just changed into view (only that list scrolls)
  function showCartLine(index) {
    const list = $("cart-lines");
    const line = list.children[index];
    if (!line) return;
    if (line.offsetLeft < list.scrollLeft) {
      list.scrollLeft = line.offsetLeft;
    } else if (line.offsetLeft + line.offsetWidth > list.scrollLeft + list.clientWidth) {
      list.scrollLeft = line.offsetLeft + line.offsetWidth - list.clientWidth;
    }
  }

  // ---- confirm and receipt ----
  function summaryLines(target, lines) {
    target.replaceChildren();
    for (const line of lines) {
      const li = document.createElement("li");
      const left = document.createElement("span");
      left.textContent = line.name + " " + fill(T.times, line.quantity);
      const right = document.createElement("span");
      right.textContent = fill(T.points, line.quantity * line.points_each);
      li.append(left, right);
      target.append(li);
    }
  }

  $("to-confirm").addEventListener("click", () => {
    const lines = [...state.cart].map(([id, quantity]) => {
      const item = goodsById(id);
      return { name: item.name, quantity: quantity, points_each: item.points };
    });
    summaryLines($("confirm-lines"), lines);
    const total = cartTotal();
    $("confirm-total").textContent = fill(T.total, total);
    $("confirm-after").textContent = fill(T.left_after, state.balance - total);
    if (!state.requestId) state.requestId = Corner.requestId("kiosk-");
    show("confirm");
  });
  $("back").addEventListener("click", () => show("member"));

  let redeeming = false;
  $("confirm").addEventListener("click", async () => {
    if (redeeming) return;  // a double tap sends one request; the request id covers retries
    redeeming = true;
    $("confirm").disabled = true;
    try {
      const items = [...state.cart].map(([id, quantity]) => ({ goods_id: id, quantity: quantity }));
      const result = await api("POST", "/api/kiosk/redeem",
        { session: state.session, request_id: state.requestId, items: items });
      state.balance = result.balance;
      for (const line of result.redemption.lines) {
        const key = String(line.goods_id);
        if (state.allowances[key] !== undefined) state.allowances[key] -= line.quantity;
      }
      state.cart = new Map();
      state.requestId = null;
      summaryLines($("receipt-lines"), result.redemption.lines);
      $("receipt-number").textContent = fill(T.receipt_number, result.redemption.id);
      $("receipt-total").textContent = fill(T.total, result.redemption.points);
      $("receipt-balance").textContent = String(result.balance);
      show("receipt");
      refreshCatalog();
    } catch (error) {
      if (error.code === "session_expired" || error.code === "card_revoked" || error.code === "member_inactive") {
        forget();
      } else if (error.code !== "network") {
        // the refusal changed nothing: show fresh balance and stock behind the message
        state.requestId = null;
        show("member");
        refreshCatalog();
      }
      showError(error);
    } finally {
      redeeming = false;
      $("confirm").disabled = false;
    }
  });

  async function refreshCatalog() {
    try {
      state.goods = (await api("GET", "/api/kiosk/catalog")).goods;
      for (const id of [...state.cart.keys()]) if (!goodsById(id)) state.cart.delete(id);
      if (state.member) renderMember();
    } catch (error) { /* the next scan loads it again */ }
  }

  $("again").addEventListener("click", () => { renderMember(); show("member"); });
  $("done").addEventListener("click", () => forget());
  $("finish").addEventListener("click", () => forget());
  $("error-ok").addEventListener("click", () => { $("error").hidden = true; });

  // ---- the member's points record: what each award was for, a few lines a page ----
  const record = { entries: [], total: 0, page: 0, perPage: 4 };

  function recordWhat(entry) {
    // the kind in plain words, and what it was for: the activity, the goods or the reason
    let kind = T["record_kind_" + entry.kind] || T.record_kind_other;
    let detail = entry.reason || "";
    if (entry.activity) {
      const when = entry.activity.date === entry.date ? "" : entry.activity.date_text + " ";
      detail = [entry.activity.category, when + entry.activity.title].filter(Boolean).join(" · ");
      if (entry.reason && entry.reason !== entry.activity.title) {
        kind = fillAll(T.record_kind_reason, { kind: kind, reason: entry.reason });
      }
    } else if (entry.goods) {
      detail = entry.goods;
    }
    return { kind: kind, detail: detail };
  }

  function recordLine(entry) {
    const what = recordWhat(entry);
    const gain = entry.points > 0;
    const li = element("li", "record-line " + (gain ? "gain" : "loss"));
    li.dataset.kind = entry.kind;
    const text = element("span", "record-what");
    text.append(element("span", "record-kind", what.kind), element("span", "record-detail", what.detail));
    const points = element("span", "record-points");
    points.append(
      element("span", "record-delta", fill(T.points, (gain ? "+" : "−") + Math.abs(entry.points))),
      element("span", "record-after", fill(T.record_balance_after, entry.balance)));
    li.append(element("span", "record-date", entry.date_text), text, points);
    return li;
  }

  // how to read it, and (when there are more lines than these) who has the older ones
  function recordHint() {
    const hint = record.entries.length ? [T.record_newest_first] : [];
    if (record.total > record.entries.length) hint.push(T.record_older_note);
    $("record-hint").textContent = hint.join(" ");
  }

  function renderRecord() {
    const items = record.entries.map(recordLine);
    const pages = Math.max(1, Math.ceil(items.length / record.perPage));
    record.page = Math.min(Math.max(record.page, 0), pages - 1);
    const start = record.page * record.perPage;
    $("record-lines").replaceChildren(...items.slice(start, start + record.perPage));
    $("record-empty").hidden = record.entries.length > 0;
    const paged = pages > 1;
    $("record-page").hidden = !paged;
    $("record-page").textContent = fillAll(T.record_page, { n: record.page + 1, total: pages });
    $("record-newer").hidden = !paged;
    $("record-older").hidden = !paged;
    $("record-newer").disabled = record.page === 0;
    $("record-older").disabled = record.page === pages - 1;
  }

  // as many lines a page as the screen holds (each line has a fixed height in kiosk.css)
  function linesPerPage() {
    const list = $("record-lines");
    const style = getComputedStyle(list);
    const line = parseFloat(style.getPropertyValue("--line-height")) || 104;
    const gap = parseFloat(style.rowGap) || 0;
    return Math.max(1, Math.floor((list.clientHeight + gap) / (line + gap)));
  }

  let openingRecord = false;
  $("open-record").addEventListener("click", async () => {
    if (openingRecord || !state.session) return;
    openingRecord = true;
    const session = state.session;
    showBusy(T.record_opening);
    try {
      const data = await api("POST", "/api/kiosk/record", { session: session });
      // another card or the idle timeout took over meanwhile: this record is not theirs
      if (state.session !== session) return;
      state.balance = data.balance;
      $("balance").textContent = String(state.balance);
      record.entries = data.entries;
      record.total = data.total;
      record.page = 0;
      hideBusy();
      recordHint();
      show("record");
      record.perPage = linesPerPage();  // once the hint above the lines has its height
      renderRecord();
    } catch (error) {
      if (state.session !== session) return;
      if (error.code === "session_expired" || error.code === "card_revoked" || error.code === "member_inactive") {
        forget();
      }
      showError(error);
    } finally {
      openingRecord = false;
    }
  });
  $("record-newer").addEventListener("click", () => { record.page -= 1; renderRecord(); });
  $("record-older").addEventListener("click", () => { record.page += 1; renderRecord(); });
  $("record-back").addEventListener("click", () => {
    record.entries = [];
    $("record-lines").replaceChildren();
    updateGoods();  // the balance may have grown since the scan
    renderCart();
    show("member");
  });

  // ---- forgetting the member ----
  function endSession(token) {
    if (!token) return;
    const body = JSON.stringify({ session: token });
    navigator.sendBeacon(apiUrl("/api/kiosk/logout"), new Blob([body], { type: "application/json" }));
  }

  function forget() {
    endSession(state.session);
    if (pendingSwitch) endSession(pendingSwitch.session);
    pendingSwitch = null;
    $("switch").hidden = true;
    state.session = null;
    state.member = null;
    state.balance = 0;
    state.allowances = {};
    state.cart = new Map();
    state.requestId = null;
    $("member-name").textContent = "";
    $("member-number").textContent = "";
    $("member-quarter").textContent = "";
    $("member-quarter").hidden = true;
    $("balance").textContent = "";
    // nothing of this member stays in the page for the next person to see
    for (const id of ["goods", "cart-lines", "confirm-lines", "receipt-lines", "record-lines"]) {
      $(id).replaceChildren();
    }
    record.entries = [];
    record.total = 0;
    for (const id of ["confirm-total", "confirm-after", "receipt-number", "receipt-total",
      "receipt-balance", "cart-total", "cart-after", "record-page", "record-hint"]) {
      $(id).textContent = "";
    }
    $("idle").hidden = true;
    hideBusy();
    if (config.language !== config.default_language) {
      location.replace(location.pathname);  // the next person starts in the default language
      return;
    }
    show("start");
  }

  // ---- idle timeout ----
  const WARN_SECONDS = Math.min(10, Math.floor(config.idle_seconds / 3));
  let lastTouch = Date.now();
  function touched() { lastTouch = Date.now(); $("idle").hidden = true; }
  for (const type of ["pointerdown", "touchstart", "keydown"]) {
    document.addEventListener(type, touched, { capture: true, passive: true });
  }
  $("idle-stay").addEventListener("click", touched);
  setInterval(() => {
    const idle = (Date.now() - lastTouch) / 1000;
    const onStart = document.body.dataset.screen === "start";
    if (onStart && $("error").hidden) return;
    const left = Math.ceil(config.idle_seconds - idle);
    if (left <= 0) {
      $("error").hidden = true;
      forget();
    } else if (left <= WARN_SECONDS && !onStart) {
      $("idle-text").textContent = fill(T.idle_warning, left);
      $("idle").hidden = false;
    }
  }, 250);

  show("start");
  listenForTaps();
  // demo cards page: "try this card" comes here with #scan=TOKEN
  const match = location.hash.match(/^#scan=(.+)$/);
  if (match) {
    history.replaceState(null, "", location.pathname + location.search);
    scan(decodeURIComponent(match[1]));
  }
})();
