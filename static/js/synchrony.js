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

// Calendar: ← → move between periods and t jumps to today, unless typing in a field.
document.addEventListener("keydown", (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.target.closest("input, select, textarea, [contenteditable]")) return;
  const link = document.querySelector(`#calendar [data-key="${event.key}"]`);
  if (link) {
    event.preventDefault();
    link.click();
  }
});

// Calendar: drag a launch to another day; it keeps its time. The move goes through the
// same endpoint, service and version check as the launch form.
document.addEventListener("dragstart", (event) => {
  const item = event.target.closest && event.target.closest(".cal-item[data-move-url]");
  if (!item) return;
  event.dataTransfer.setData("text/plain", JSON.stringify({
    url: item.dataset.moveUrl, version: item.dataset.version, day: item.dataset.day,
    localDate: item.dataset.localDate, time: item.dataset.time,
  }));
  event.dataTransfer.effectAllowed = "move";
});
document.addEventListener("dragover", (event) => {
  const cell = event.target.closest && event.target.closest("#calendar td[data-date]");
  if (!cell) return;
  event.preventDefault();
  document.querySelectorAll(".drop-target").forEach((c) => c.classList.remove("drop-target"));
  cell.classList.add("drop-target");
});
document.addEventListener("drop", (event) => {
  const cell = event.target.closest && event.target.closest("#calendar td[data-date]");
  if (!cell) return;
  event.preventDefault();
  cell.classList.remove("drop-target");
  let move;
  try { move = JSON.parse(event.dataTransfer.getData("text/plain")); } catch { return; }
  // Cells are days in the viewer's zone; the launch keeps the wall time of the zone it
  // was planned in, shifted by as many days as it was dragged.
  const days = (iso) => Date.UTC(...iso.split("-").map((n, i) => Number(n) - (i === 1 ? 1 : 0))) / 864e5;
  const shift = days(cell.dataset.date) - days(move.day);
  if (!shift) return;
  const target = new Date((days(move.localDate) + shift) * 864e5).toISOString().slice(0, 10);
  htmx.ajax("POST", move.url, {
    values: { version: move.version, local_date: target, local_time: move.time },
    swap: "none",
  });
});

// Live updates: say who changed something, and re-fetch everything after a reconnect
// (whatever happened while the stream was down is then on the page).
let liveOpenedBefore = false;
document.addEventListener("htmx:sseOpen", () => {
  if (liveOpenedBefore) htmx.trigger(document.body, "live-resync");
  liveOpenedBefore = true;
});
// The SSE extension keeps the stream open (and reconnects); #live-listener receives each
// "change" event, and the page's live parts listen for "live-change" on the body.
document.addEventListener("htmx:sseMessage", (event) => {
  let change;
  try { change = JSON.parse(event.detail.data); } catch { return; }
  htmx.trigger(document.body, "live-change", change);
  if (!change.by || change.by === document.body.dataset.me) return;
  const cue = document.getElementById("live-cue");
  if (!cue) return;
  cue.textContent = `Updated just now by ${change.by}`;
  cue.hidden = false;
  clearTimeout(cue.timer);
  cue.timer = setTimeout(() => { cue.hidden = true; }, 8000);
});

// A background refresh (a live change, or polling) must not undo what someone is in the
// middle of: a field typed in or a choice picked since the form was last sent keeps its
// value across the swap, and a disclosure they opened stays open, if the new fragment
// still has it (by id). Sending the form lets the server's answer stand.
const isLiveRefresh = (detail) =>
  /live-change|every /.test(detail.requestConfig?.elt?.getAttribute?.("hx-trigger") || "");
const touch = (event) => { if (event.target.id && event.target.form) event.target.dataset.touched = ""; };
document.addEventListener("input", touch);
document.addEventListener("change", touch);
document.addEventListener("submit", (event) => {
  event.target.querySelectorAll?.("[data-touched]").forEach((el) => delete el.dataset.touched);
});
let keptValues = null;
let keptOpen = [];
document.addEventListener("htmx:beforeSwap", (event) => {
  keptValues = null;
  keptOpen = [];
  // Only what the refresh replaces (out-of-band parts keep their own rules).
  const target = event.detail.target;
  if (!isLiveRefresh(event.detail) || !target) return;
  keptOpen = [...target.querySelectorAll("details[open][id]")].map((el) => el.id);
  keptValues = [...target.querySelectorAll("[data-touched]")].map((el) => ({
    el, value: el.value, checked: el.checked,
    selected: el.multiple ? [...el.selectedOptions].map((o) => o.value) : null,
  }));
});
document.addEventListener("htmx:afterSwap", () => {
  keptOpen.forEach((id) => { const el = document.getElementById(id); if (el) el.open = true; });
  keptOpen = [];
  if (!keptValues) return;
  for (const { el, value, checked, selected } of keptValues) {
    const now = document.getElementById(el.id);
    if (!now || now === el || now.tagName !== el.tagName || now.type !== el.type) continue;
    if (selected) [...now.options].forEach((o) => { o.selected = selected.includes(o.value); });
    else if (now.type === "checkbox" || now.type === "radio") now.checked = checked;
    else if (now.type !== "file" && now.type !== "hidden") now.value = value;
    now.dataset.touched = "";
  }
  keptValues = null;
});
