// Small glue for htmx: show an error when a request is refused, so nothing fails silently.
document.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr.status;
  const text = {403: "Your role does not allow this.", 404: "That no longer exists, or you cannot see it."}[status]
    || "The change could not be saved. Reload the page and try again.";
  let toast = document.querySelector(".toast");
  if (!toast) {
    toast = document.createElement("div");
    toast.className = "toast";
    toast.setAttribute("role", "alert");
    document.body.appendChild(toast);
  }
  toast.textContent = text;
  setTimeout(() => toast.remove(), 6000);
});
