// A USB QR scanner is a keyboard: it "types" the card's token and Enter in one quick burst.
// CornerScanner.listen collects such bursts anywhere on the page, without a text field, and
// passes on the text; a person's stray key presses (more than a second apart) are dropped.
"use strict";

window.CornerScanner = {
  // onScan(text) for each burst of at least 8 characters ended by Enter; ignore(event) -> true
  // leaves a key press alone (typing in a field, a dialog with its own keys)
  listen(onScan, ignore) {
    let buffer = "";
    let lastKey = 0;
    document.addEventListener("keydown", (event) => {
      if (ignore && ignore(event)) return;
      const now = Date.now();
      if (now - lastKey > 1000) buffer = "";
      lastKey = now;
      if (event.key === "Enter") {
        const text = buffer.trim();
        buffer = "";
        if (text.length >= 8) { event.preventDefault(); onScan(text); }
        return;
      }
      if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
        buffer += event.key;
        event.preventDefault();
      }
    });
  },
};
