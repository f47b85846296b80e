// Facilitator mode: keyboard shortcuts, the section timebox, and keeping focus where the
// facilitator was across htmx swaps. Everything here also works with a mouse; the page
// lists the shortcuts.
(() => {
  const run = document.getElementById("run");
  if (!run) return;

  const section = () => document.getElementById("run-section");
  const items = () => Array.from(section()?.querySelectorAll(".run-item input.mark:not([disabled])") || []);
  const currentItem = () => document.activeElement?.closest?.(".run-item") || null;
  const typing = (el) => el && el.closest && el.closest("input:not([type=checkbox]):not([type=radio]), select, textarea, [contenteditable]");

  // ── Timer: each section's timebox counts down while it is open; the time spent is
  // kept per section for this tab, so coming back to a section resumes its clock.
  let tick = null;
  function startTimer() {
    clearInterval(tick);
    const timer = section()?.querySelector(".timer");
    if (!timer || run.dataset.running !== "1") return;
    const key = timer.dataset.key;
    const box = Number(timer.dataset.seconds);
    const value = timer.querySelector(".timer-value");
    const label = timer.querySelector(".timer-label");
    let spent = Number(sessionStorage.getItem(key) || 0);
    const show = () => {
      const left = box - spent;
      const abs = Math.abs(left);
      value.textContent = `${Math.floor(abs / 60)}:${String(abs % 60).padStart(2, "0")}`;
      label.textContent = left >= 0 ? `left of ${Math.floor(box / 60)}:${String(box % 60).padStart(2, "0")}` : "over";
      timer.classList.toggle("over", left < 0);
      timer.classList.toggle("nearly", left >= 0 && left <= 15);
      if (left === 0) {
        const say = document.getElementById("timer-announce");
        if (say) say.textContent = "Time is up for this section.";
      }
    };
    show();
    tick = setInterval(() => {
      spent += 1;
      sessionStorage.setItem(key, String(spent));
      show();
    }, 1000);
  }

  // The meeting's own clock in the header (looked up each time: the header is re-fetched
  // when someone else starts or ends the meeting).
  const showClock = () => {
    const clock = run.querySelector(".clock");
    if (!clock) return;
    const minutes = Math.max(0, Math.floor((Date.now() - new Date(clock.dataset.started)) / 60000));
    const planned = Number(clock.dataset.minutes);
    clock.textContent = `${minutes} of ${planned} min`;
    clock.classList.toggle("over", minutes > planned);
  };
  showClock();
  setInterval(showClock, 15000);

  // ── What a note or action item is about: the item in focus when n, d or a is pressed.
  function about(kind, item) {
    const key = document.getElementById(`${kind}-item-key`);
    const line = document.getElementById(`${kind}-about`);
    if (!key || !line) return;
    key.value = item ? item.dataset.key : "";
    line.hidden = !item;
    if (item) line.querySelector(".about-label").textContent = item.dataset.label;
    if (kind === "action" && item) {
      const project = document.getElementById("action_project");
      if (project && item.dataset.project) project.value = item.dataset.project;
      const owner = document.getElementById("action_owner");
      if (owner && item.dataset.owner) owner.value = item.dataset.owner;
    }
  }
  document.addEventListener("click", (event) => {
    const clear = event.target.closest && event.target.closest("[data-clear-about]");
    if (clear) about(clear.dataset.clearAbout, null);
  });

  function writeNote(kind) {
    const body = document.getElementById("note-body");
    if (!body) return;
    about("note", currentItem());
    const radio = document.getElementById(`note-kind-${kind}`);
    if (radio) radio.checked = true;
    body.placeholder = kind === "decision" ? "The decision, in a sentence" : "A note";
    body.focus();
  }

  function moveItem(step) {
    const list = items();
    if (!list.length) return;
    const at = list.indexOf(document.activeElement);
    const next = at < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, at + step));
    list[next].focus();
    list[next].closest(".run-item")?.scrollIntoView({ block: "nearest" });
  }

  // ── While htmx swaps a part of the page in, the new part's links and forms are wired
  // only once it settles: a shortcut pressed meanwhile would click a link htmx does not
  // handle yet (a full page load) or tick a box whose form posts nothing. Such keys wait
  // for the swap to settle, in order.
  //
  // Each request is counted on its own, from when it is sent until what it swapped in has
  // settled: one request's bookkeeping must never end another's wait. (A single flag did:
  // a request settles in several events, one per part swapped, and a fallback timer of a
  // request long finished ended the wait of the section being fetched now; the next →
  // then followed the new section's link before htmx wired it, a full page load.)
  const pending = new Set(); // requests sent whose swap has not settled yet
  const swapped = new WeakSet(); // requests whose answer was swapped in: a settle follows
  const queue = [];
  let writing = false; // n, d or a is waiting in the queue: keys typed meanwhile follow it
  const busy = () => pending.size > 0;
  // Keys wait while a request is on its way, and while earlier keys still wait: between
  // the last request settling and the queue draining (a tick later), a key must not
  // overtake them (the letter typed right after d went to the page, not the note).
  const holding = () => busy() || queue.length > 0;
  const drain = () => {
    while (queue.length && !busy()) queue.shift()();
    if (!queue.length) writing = false;
  };
  const finish = (xhr) => {
    // After every afterSettle of this request (one per part) and the focus handling below.
    if (pending.delete(xhr) && !busy()) setTimeout(drain, 0);
  };
  const later = (action) => (holding() ? queue.push(action) : action());
  document.addEventListener("htmx:beforeSend", (event) => {
    const xhr = event.detail.xhr;
    if (!xhr) return;
    pending.add(xhr);
    // The answer was handled by the time the request ends (htmx swaps in its load
    // handler). Refused, failed, aborted or swapping nothing, it never settles; swapped,
    // it settles unless every part it swapped was replaced meanwhile, so its own settle
    // gets a while (its timer was set first) before this request stops holding keys.
    xhr.addEventListener("loadend", () => {
      if (!swapped.has(xhr)) finish(xhr);
      else setTimeout(() => finish(xhr), 500);
    });
  });
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.xhr) swapped.add(event.detail.xhr);
  });
  document.addEventListener("htmx:afterSettle", (event) => finish(event.detail.xhr));

  const SHORTCUTS = {
    ArrowRight: () => section()?.querySelector("[data-run-next]")?.click(),
    ArrowLeft: () => section()?.querySelector("[data-run-prev]")?.click(),
    j: () => moveItem(1),
    k: () => moveItem(-1),
    x: () => {
      const box = document.activeElement?.matches?.("input.mark") ? document.activeElement : items()[0];
      if (box) { box.focus(); box.click(); }
    },
    n: () => writeNote("note"),
    d: () => writeNote("decision"),
    a: () => {
      const title = document.getElementById("action_title");
      if (title) { about("action", currentItem()); title.focus(); }
    },
    "?": () => document.getElementById("shortcuts")?.focus(),
  };

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.metaKey) return;
    const target = event.target;
    if (typing(target)) {
      if (event.key === "Escape") {
        target.blur();
        section()?.querySelector("#section-title")?.focus();
      } else if (event.key === "Enter" && event.ctrlKey && target.id === "note-body") {
        event.preventDefault();
        later(() => target.form.requestSubmit());
      }
      return;
    }
    // Typed right after n, d or a while a swap is settling: the field is not focused yet,
    // so the keys wait in the queue too and land in it, in order, instead of being lost
    // (or taken for shortcuts).
    if (writing && holding() && !event.ctrlKey && (event.key.length === 1 || event.key === "Backspace")) {
      event.preventDefault();
      const key = event.key;
      queue.push(() => {
        const field = document.activeElement;
        if (!typing(field) || field.setRangeText === undefined) return;
        if (key === "Backspace") {
          const from = field.selectionStart === field.selectionEnd ? Math.max(0, field.selectionStart - 1) : field.selectionStart;
          field.setRangeText("", from, field.selectionEnd, "end");
        } else {
          field.setRangeText(key, field.selectionStart, field.selectionEnd, "end");
        }
      });
      return;
    }
    if (event.ctrlKey || !(event.key in SHORTCUTS)) return;
    // Arrows on a radio button choose between note and decision, as they always do.
    if (event.key.startsWith("Arrow") && target.matches?.("input[type=radio]")) return;
    event.preventDefault();
    if (holding() && "nda".includes(event.key)) writing = true;
    later(SHORTCUTS[event.key]);
  });

  // A note sent with Ctrl+Enter leaves the focus in its field, and the next one is often
  // typed before the answer comes. The field is emptied as the note is sent (htmx has
  // read the values by then), and the fresh form in the answer replaces it only if
  // nothing new was typed meanwhile; a refused note comes back with its text and errors.
  let sent = "";
  document.addEventListener("htmx:beforeRequest", (event) => {
    const body = event.detail.elt?.id === "note-form" && document.getElementById("note-body");
    if (body) { sent = body.value; body.value = ""; }
  });
  // No answer at all (the network): the note comes back into an empty field.
  document.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.elt?.id !== "note-form" || event.detail.xhr?.status) return;
    const body = document.getElementById("note-body");
    if (body && !body.value) body.value = sent;
  });
  document.addEventListener("htmx:oobBeforeSwap", (event) => {
    if (event.detail.target?.id !== "note-form") return;
    if (document.getElementById("note-body")?.value) event.preventDefault();
  });

  // ── Focus across swaps: back to the field or tick the facilitator was on; after
  // moving to another section, to its heading (screen readers announce it).
  let focused = null;
  document.addEventListener("htmx:beforeRequest", () => { focused = document.activeElement?.id || null; });
  document.addEventListener("htmx:afterSettle", (event) => {
    // After settling, not at the swap: htmx has wired the new section's forms by then, so
    // a key pressed as soon as the heading has the focus acts on live controls.
    if (event.detail.target?.id === "run-section") {
      startTimer();
      // Unless a key pressed since the swap has already moved on inside the new section.
      const active = document.activeElement;
      if (!section()?.contains(active) || active.id === "section-title") {
        section()?.querySelector("#section-title")?.focus();
      }
      return;
    }
    // Only when the swap took the focus away (it is back on the body): a key pressed
    // meanwhile has moved it on, and that wins.
    const lost = !document.activeElement || document.activeElement === document.body;
    if (focused && lost) document.getElementById(focused)?.focus();
  });
  // ── Live: the meeting's own stream. Its first opening is not a reconnect of the
  // app-wide one (synchrony.js would re-fetch every live part of the page); after a
  // reconnect, this page's parts catch up on whatever they missed meanwhile.
  const stream = document.getElementById("run-stream");
  let streamOpened = false;
  stream?.addEventListener("htmx:sseOpen", (event) => {
    event.stopPropagation();
    if (streamOpened) htmx.trigger(document.body, "run-resync");
    streamOpened = true;
  });
  // When the notes are re-fetched because someone else saved something, a note being
  // edited here keeps its form and what was typed in it (htmx keeps elements marked
  // hx-preserve): saving it then meets the version check, and a stale edit is refused
  // with the other person's text beside this one, never silently lost.
  document.addEventListener("htmx:oobBeforeSwap", (event) => {
    const current = event.detail.target;
    if (current?.id !== "notes") return;
    const fresh = event.detail.fragment;
    current.querySelectorAll("li[id^='note-']").forEach((li) => {
      if (!li.querySelector("form.note-edit")) return;
      let twin = fresh.querySelector(`#${CSS.escape(li.id)}`);
      if (!twin) {
        // Deleted meanwhile: the form stays (saving it says the note is gone).
        twin = document.createElement("li");
        twin.id = li.id;
        fresh.querySelector("ul.notes")?.append(twin);
      }
      twin.setAttribute("hx-preserve", "true");
    });
  });

  // Back and forward through pushed sections restore the page from history; restart the clock.
  document.addEventListener("htmx:historyRestore", startTimer);

  startTimer();
})();
