// Copy buttons beside a secret shown once (templates/includes/secret_box.html). They are
// hidden in the HTML, so a page without JavaScript shows none that would not work; the
// field selects itself on a click either way.
(() => {
  const say = (button, text) => {
    const status = button.parentElement.querySelector(".copy-status");
    if (!status) return;
    status.textContent = text;
    clearTimeout(button.copyTimer);
    button.copyTimer = setTimeout(() => { status.textContent = ""; }, 4000);
  };

  // The Clipboard API needs a secure context (https or localhost); a server reached over
  // plain http on the LAN has none, and then the older command still works.
  const copy = async (field) => {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(field.value);
      return;
    }
    field.select();
    if (!document.execCommand("copy")) throw new Error("copy refused");
  };

  document.addEventListener("click", async (event) => {
    const button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    const field = document.getElementById(button.dataset.copy);
    if (!field) return;
    try {
      await copy(field);
      say(button, "Copied.");
    } catch {
      field.select();
      say(button, "Not copied: the text is selected, press Ctrl+C (⌘C on a Mac).");
    }
  });

  const reveal = () => {
    document.querySelectorAll("button[data-copy][hidden]").forEach((b) => { b.hidden = false; });
  };
  reveal();
  // A secret can arrive in a part of the page htmx swaps in (a new webhook endpoint's).
  document.addEventListener("htmx:afterSettle", reveal);
})();
