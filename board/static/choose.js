// The board's index page: choosing a quarter shows it at once (no inline handler: the
// Content-Security-Policy allows only the app's own script files).
"use strict";

for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.submit());
}
