// Twoway's own script: progressive enhancement only; every page works without it.
document.addEventListener("DOMContentLoaded", () => {
  // Confirm buttons that do something hard to undo, using their data-confirm text.
  document.body.addEventListener("click", (event) => {
    const target = event.target.closest("[data-confirm]");
    if (target && !window.confirm(target.dataset.confirm)) {
      event.preventDefault();
    }
  });
});
