// The summary report's "Print" button (the browser's own print dialog, which also saves PDF).
document.addEventListener("click", (event) => {
  if (event.target.closest && event.target.closest(".js-print")) window.print();
});
