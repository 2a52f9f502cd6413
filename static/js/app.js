// Starts GOV.UK Frontend's components, and restarts them inside content that htmx swaps in.
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();

document.body.addEventListener("htmx:afterSettle", (event) => {
  initAll({ scope: event.detail.elt });
  // A swapped region may ask for focus (quick add returns focus to the title box).
  const target = event.detail.elt.querySelector("[data-autofocus]");
  if (target) target.focus();
});
