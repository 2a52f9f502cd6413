// Starts GOV.UK Frontend's components, and restarts them inside content that htmx swaps in.
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();

document.body.addEventListener("htmx:afterSettle", (event) => {
  initAll({ scope: event.detail.elt });
  // A swapped region may ask for focus (quick add returns focus to the title box).
  const target = event.detail.elt.querySelector("[data-autofocus]");
  if (target) target.focus();
});

// Validation errors (400/422) and lost updates (409) come back as GOV.UK error
// fragments: swap them in like a success so the person sees what went wrong.
document.body.addEventListener("htmx:beforeSwap", (event) => {
  if ([400, 409, 422].includes(event.detail.xhr.status)) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
