// The admin pages' few behaviours, bound by data attributes: the Content-Security-Policy allows
// no inline script or on*= handler, so every page loads this one file instead.
"use strict";

document.addEventListener("change", (event) => {
  // a select that shows another view at once (a branch, a corner)
  const select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) select.form.submit();
});

document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
    return;
  }
  const tickAll = event.target.closest("[data-tick-all]");
  if (tickAll) {
    const name = tickAll.dataset.tickAll;
    for (const box of document.querySelectorAll(`input[name="${name}"]:not(:disabled)`)) {
      box.checked = true;
    }
  }
});

document.addEventListener("submit", (event) => {
  // a form that asks first (revoking a card cannot be undone)
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});
