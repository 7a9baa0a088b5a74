// Twoway's own script: progressive enhancement only; every page works without it.
document.addEventListener("DOMContentLoaded", () => {
  // Confirm buttons that do something hard to undo, using their data-confirm text.
  document.body.addEventListener("click", (event) => {
    const target = event.target.closest("[data-confirm]");
    if (target && !window.confirm(target.dataset.confirm)) {
      event.preventDefault();
    }
  });
  // Copy a field's value (an API token's secret) with a button naming it in data-copy-target.
  document.body.addEventListener("click", (event) => {
    const button = event.target.closest("[data-copy-target]");
    const field = button && document.getElementById(button.dataset.copyTarget);
    if (!field) {
      return;
    }
    field.select();
    if (navigator.clipboard) {
      navigator.clipboard.writeText(field.value).then(() => {
        button.textContent = button.dataset.copiedText || button.textContent;
      });
    }
  });
});
