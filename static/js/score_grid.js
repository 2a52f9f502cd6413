// The scoring grid's keyboard: in a focused score, a digit from 1 to 5 chooses that level and
// selects the next score, so a row of seven criteria is seven key presses. Without this
// module the grid is a plain form (and a select's own type-ahead still finds "3: ...").
const DIGITS = new Set(["1", "2", "3", "4", "5"]);

document.addEventListener("keydown", (event) => {
  const cell = event.target;
  if (!(cell instanceof HTMLSelectElement) || !cell.hasAttribute("data-grid-cell")) return;
  if (!DIGITS.has(event.key) || event.altKey || event.ctrlKey || event.metaKey) return;
  event.preventDefault();
  cell.value = event.key;
  cell.dispatchEvent(new Event("change", { bubbles: true }));
  const cells = [...cell.form.querySelectorAll("select[data-grid-cell]")];
  const next = cells[cells.indexOf(cell) + 1];
  if (next) next.focus();
});
