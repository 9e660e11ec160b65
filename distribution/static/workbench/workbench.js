// Counter workbench: small conveniences; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // Choosing an option ticks its rule for hand-out.
  document.querySelectorAll("[data-rule]").forEach((card) => {
    const include = card.querySelector("[data-include]");
    if (!include) return;
    card.querySelectorAll("input[type=radio]").forEach((radio) => {
      radio.addEventListener("change", () => { include.checked = true; });
    });
  });
  // One submit per page view; the idempotency key guards the server side anyway.
  document.querySelectorAll("form[data-handout]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      const button = form.querySelector("[data-confirm]");
      if (button) window.setTimeout(() => { button.disabled = true; }, 0);
    });
  });
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
});
