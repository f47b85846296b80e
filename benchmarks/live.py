"""Live-update latency: a manager moves a launch, a viewer's open calendar shows it.

The real ASGI application runs under uvicorn in a thread on a loopback port. Two
headless Chromium contexts are logged in with sessions made by Client.force_login:
the viewer (a viewer of one project) has the agenda covering the launch open; the
manager has that project's agenda open and moves the launch by POSTing the quick-move
form's fields from the page (fetch, with the page's CSRF token), as the form's hx-post
does. The launch's current version is read from the database before every move.

Latency runs from Date.now() in the manager's page just before the POST to Date.now()
in the viewer's page when a MutationObserver sees the launch's new time in #calendar:
both clocks are the one system clock, and no Playwright round trip is counted. The
time Python saw around the same span (POST + waiting for the viewer) is kept as well.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import zoneinfo
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.test import Client

from benchmarks.server import stats
from synchrony.accounts.models import User
from synchrony.launches.models import Launch
from tests.asgi_server import AsgiServer

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MOVE_TIMEOUT_MS = 10_000  # one move not seen by then counts as missed
TOTAL_SECONDS = 240  # the whole series stops by then, whatever is left
SETTLE_SECONDS = 0.2  # between moves: let both pages finish their re-fetches

# In the viewer's page: note when the launch's time in the calendar reads `expect`.
OBSERVER = """
() => {
  window.__bench = {expect: null, pk: null, seen: null};
  const check = () => {
    const b = window.__bench;
    if (b.expect === null || b.seen !== null) return;
    const t = document.querySelector(`#calendar a[href="/launches/${b.pk}/"] time`);
    if (t && t.textContent.trim() === b.expect) b.seen = Date.now();
  };
  new MutationObserver(check).observe(document.body,
    {childList: true, subtree: true, characterData: true});
  window.__benchCheck = check;
}
"""

MOVE = """
async ([url, token, fields]) => {
  const body = new URLSearchParams(fields);
  const t0 = Date.now();
  const response = await fetch(url, {
    method: "POST", body, credentials: "same-origin",
    headers: {"X-CSRFToken": token, "HX-Request": "true"},
  });
  const text = await response.text();
  return {t0, t1: Date.now(), status: response.status, text: text.slice(0, 500)};
}
"""

SSE_OPEN = """
document.addEventListener("htmx:sseOpen", () => { window.__sseOpen = true; });
"""


@dataclass
class LiveResult:
    moves: int = 0
    seen: int = 0
    missed: int = 0
    errors: list[str] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)  # browser clock, POST → seen
    post_ms: list[float] = field(default_factory=list)  # the POST's own round trip
    python_ms: list[float] = field(default_factory=list)  # same span, as Python saw it
    viewer_visibility: str = ""
    browser: str = ""
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "moves": self.moves,
            "seen": self.seen,
            "missed": self.missed,
            "errors": self.errors[:10],
            "latency": stats(self.latency_ms),
            "post": stats(self.post_ms),
            "python_side": stats(self.python_ms),
            "latency_ms": [round(x, 1) for x in self.latency_ms],
            "viewer_visibility": self.viewer_visibility,
            "browser": self.browser,
            "seconds": round(self.seconds, 1),
        }


@contextmanager
def orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API runs an event loop in this thread; the ORM calls here are
    plain synchronous code, so Django's async-unsafe guard is lifted while it runs."""
    old = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = old


def session_cookie(user: User, url: str) -> dict[str, Any]:
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": url}


def targets(current: Launch, count: int, today: dt.date) -> list[tuple[dt.date, dt.time]]:
    """`count` distinct wall times a week ahead, none equal to the launch's present one."""
    day = today + dt.timedelta(days=7)
    out: list[tuple[dt.date, dt.time]] = []
    minute = 0
    while len(out) < count:
        at = (dt.datetime.combine(day, dt.time(9)) + dt.timedelta(minutes=minute)).time()
        minute += 7
        if (day, at) != (current.local_date, current.local_time):
            out.append((day, at))
    return out


def measure(
    *, manager: User, viewer: User, launch_pk: int, moves: int, log: Callable[[str], None]
) -> LiveResult:
    from playwright.sync_api import sync_playwright

    result = LiveResult()
    if not os.path.exists(CHROMIUM):
        result.errors.append(f"no Chromium at {CHROMIUM} (make chromium installs Debian's)")
        return result
    started = time.monotonic()
    server = AsgiServer()
    try:
        with orm_beside_playwright(), sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            result.browser = f"chromium {browser.version}"
            try:
                _run(browser, server.url, manager, viewer, launch_pk, moves, result, log)
            finally:
                browser.close()
    finally:
        server.stop()
        result.seconds = time.monotonic() - started
    return result


def _run(
    browser: Any,
    url: str,
    manager: User,
    viewer: User,
    launch_pk: int,
    moves: int,
    result: LiveResult,
    log: Callable[[str], None],
) -> None:
    launch = Launch.objects.select_related("project").get(pk=launch_pk)
    zone = zoneinfo.ZoneInfo(viewer.time_zone)
    today = dt.datetime.now(zone).date()
    pages = {}
    for who, user, path in (
        ("viewer", viewer, f"/calendar/?view=agenda&date={today}"),
        ("manager", manager, f"/calendar/?view=agenda&date={today}&project={launch.project_id}"),
    ):
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id=user.time_zone
        )
        context.set_default_timeout(15_000)
        context.add_cookies([session_cookie(user, url)])
        context.add_init_script(SSE_OPEN)
        page = context.new_page()
        response = page.goto(url + path)
        if response is None or response.status != 200 or "/accounts/login" in page.url:
            raise RuntimeError(f"{who} could not open {path}: {response and response.status}")
        page.wait_for_function("() => window.htmx !== undefined && window.__sseOpen === true")
        pages[who] = page
    viewer_page, manager_page = pages["viewer"], pages["manager"]
    viewer_page.evaluate(OBSERVER)
    result.viewer_visibility = viewer_page.evaluate("document.visibilityState")
    token = manager_page.evaluate(
        "JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']"
    )
    move_url = f"{url}/launches/{launch_pk}/move/"
    deadline = time.monotonic() + TOTAL_SECONDS

    for day, at in targets(launch, moves, today):
        if time.monotonic() > deadline:
            result.errors.append(f"stopped after {TOTAL_SECONDS} s")
            break
        version = Launch.objects.values_list("version", flat=True).get(pk=launch_pk)
        local = dt.datetime.combine(day, at, zoneinfo.ZoneInfo(launch.time_zone))
        expect = local.astimezone(zone).strftime("%H:%M")
        viewer_page.evaluate(
            "([pk, expect]) => { Object.assign(window.__bench,"
            " {pk, expect, seen: null}); window.__benchCheck(); }",
            [launch_pk, expect],
        )
        fields = {
            "version": str(version),
            "local_date": day.isoformat(),
            "local_time": f"{at:%H:%M}",
        }
        result.moves += 1
        t0 = time.perf_counter()
        posted = manager_page.evaluate(MOVE, [move_url, token, fields])
        if posted["status"] != 200 or "not moved" in posted["text"]:
            result.errors.append(f"move {result.moves}: HTTP {posted['status']} {posted['text']}")
            result.missed += 1
            continue
        try:
            viewer_page.wait_for_function(
                "() => window.__bench.seen !== null", timeout=MOVE_TIMEOUT_MS
            )
        except Exception:
            result.missed += 1
            result.errors.append(f"move {result.moves}: not seen within {MOVE_TIMEOUT_MS} ms")
            continue
        t1 = time.perf_counter()
        seen = viewer_page.evaluate("window.__bench.seen")
        result.seen += 1
        result.latency_ms.append(seen - posted["t0"])
        result.post_ms.append(posted["t1"] - posted["t0"])
        result.python_ms.append((t1 - t0) * 1000)
        time.sleep(SETTLE_SECONDS)
    s = stats(result.latency_ms)
    if s:
        log(
            f"  live update          {result.seen}/{result.moves} seen  p50 {s['p50']:.0f} ms"
            f"  p95 {s['p95']:.0f} ms  max {s['max']:.0f} ms"
        )
