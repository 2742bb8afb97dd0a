// The memory book's page: a button that opens the browser's Print (where "Save as PDF" is).
// Without JavaScript the button stays hidden and the page says to use the browser's Print.
const printButton = document.querySelector("[data-print]");
if (printButton) {
  printButton.hidden = false;
  printButton.addEventListener("click", () => window.print());
}
