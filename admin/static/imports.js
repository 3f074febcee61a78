// The member import's confirm button: once pressed it cannot be pressed again (the import id
// makes a second press harmless anyway) and the page says the import is running, which takes
// a few seconds for a very large file.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-import-confirm]");
  if (!form) return;
  form.addEventListener("submit", () => {
    const button = form.querySelector("button[type=submit]");
    const working = document.getElementById("import-working");
    // disabled after this event, or the browser would not send the form
    window.setTimeout(() => { if (button) button.disabled = true; }, 0);
    if (working) working.classList.add("shown");
  });
});
