"""Headless Chromium against pytest-django's live server.

Playwright's sync API runs an asyncio loop in the test thread, which trips Django's
async-unsafe guard as soon as a test touches the ORM; the tests are synchronous
code, so the guard is switched off, for this package only: Playwright lives as long
as the package does, and the variable is gone afterwards (it would otherwise leak into
the rest of the session, where `check --deploy` rightly refuses it).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from synchrony.accounts.models import User
from tests.asgi_server import AsgiServer
from tests.factories import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(os.environ.get("BROWSER_SHOTS", "/tmp/browser-shots"))
# Generous for a loaded CI machine; a passing run waits far less.
TIMEOUT_MS = 15_000

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="package", autouse=True)
def _allow_orm_beside_playwright() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="package")
def playwright(_allow_orm_beside_playwright: None) -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (make chromium installs Debian's)")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[[], BrowserContext]]:
    """A factory of fresh browser contexts (one per person: own cookies, own session)."""
    contexts: list[BrowserContext] = []

    def make() -> BrowserContext:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="Europe/Berlin"
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page_for(new_context, live_server) -> Callable[[User], Page]:
    """A logged-in page for a user, in that user's own browser context."""

    def make(user: User) -> Page:
        page = new_context().new_page()
        login(page, live_server, user)
        return page

    return make


def login(page: Page, live_server, user: User) -> None:
    """Log in through the real form and land on the dashboard."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    wait_for_htmx(page)


def wait_for_htmx(page: Page) -> None:
    """htmx is loaded deferred; wait until it has processed the page."""
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")


def shot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


_axe = Axe()


def assert_accessible(page: Page, what: str = "", *, exclude: Sequence[str] = ()) -> None:
    """Fail on axe-core violations of impact critical or serious, listing them.

    `exclude` takes CSS selectors of parts of the page not to check; use it only for a
    known bug that has its own strict-xfail test, so the exclusion cannot outlive the fix.
    """
    context = {"exclude": [[selector] for selector in exclude]} if exclude else None
    results = _axe.run(page, context=context)
    bad = [v for v in results.response["violations"] if v["impact"] in ("critical", "serious")]
    if bad:
        lines = [f"{len(bad)} serious/critical accessibility violation(s) on {what or page.url}:"]
        for v in bad:
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}")
            for node in v["nodes"][:5]:
                lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:200]}")
                if node.get("failureSummary"):
                    lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
        report = "\n".join(lines)
        print(report)
        pytest.fail(report, pytrace=False)


@pytest.fixture
def asgi_server(transactional_db: None) -> Iterator[AsgiServer]:
    server = AsgiServer()
    yield server
    server.stop()
