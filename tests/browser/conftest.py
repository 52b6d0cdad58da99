"""Browser suite: real Chromium (Debian's, via Playwright) against the real stack — the web
server (pytest-django's live_server), a live worker and the session's Temporal dev server, on
real PostgreSQL. Selectors go by role and label, so the pages' accessibility is tested too.

Screenshots land in test-artifacts/screenshots/; with UPDATE_SCREENSHOTS=1 the README's
images in docs/img/ are rewritten.

The app's Content-Security-Policy is on: every browser context made through `new_context`
(open_as uses it) reports the page's `securitypolicyviolation` events and the console's CSP
messages, and a test whose pages had any fails (test_csp.py proves the check sees them).
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
PASSWORD = "pw-for-tests-1"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
DOC_IMAGES = ROOT / "docs" / "img"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


# Runs in every page before its own scripts: each CSP violation the browser reports on the
# document goes to the test through an exposed binding (which survives navigations).
_REPORT_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolation({directive: e.violatedDirective, blocked: e.blockedURI,
                         source: e.sourceFile, line: e.lineNumber, sample: e.sample,
                         page: document.location.href});
}, true);
"""


@dataclass
class CspWatch:
    """CSP violations and console messages of every context attached to it."""

    violations: list[dict] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    contexts: list = field(default_factory=list)

    def attach(self, context) -> None:
        context.expose_binding("__cspViolation",
                               lambda _source, report: self.violations.append(report))
        context.add_init_script(_REPORT_VIOLATIONS)
        context.on("console",
                   lambda message: self.console.append(f"{message.type}: {message.text}"))
        self.contexts.append(context)

    def flush(self) -> None:
        """One round trip per open page, so reports already sent are received."""
        for context in self.contexts:
            for page in context.pages:
                try:
                    page.evaluate("0")
                except Exception:  # a page closing or navigating: nothing left to receive
                    pass

    def problems(self) -> list[str]:
        self.flush()
        return ([f"CSP violation: {v}" for v in self.violations]
                + [m for m in self.console if "Content Security Policy" in m])

    def clear(self) -> None:
        self.violations.clear()
        self.console.clear()


@pytest.fixture
def csp() -> CspWatch:
    return CspWatch()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A test that passed fails anyway if one of its pages broke the CSP."""
    result = yield
    watch = item.funcargs.get("csp")
    if isinstance(watch, CspWatch) and (problems := watch.problems()):
        pytest.fail("the Content-Security-Policy was violated:\n" + "\n".join(problems),
                    pytrace=False)
    return result


@pytest.fixture(scope="module")
def browser():
    """Chromium for one module. Playwright's sync API keeps an asyncio loop registered on this
    thread, which Django's async-safety check mistakes for async code; the check is lifted
    only while the browser is open (the ORM calls here are ordinary sync calls)."""
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: `make test` installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (make test installs it as root)")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def stack(live_server, live_worker, transactional_db, settings):
    """The web server and a worker, sharing the test database and the test's task queue."""
    settings.SITE_URL = live_server.url
    return live_server


@pytest.fixture
def new_context(browser, stack, csp):
    """new_context() → a browser context on the live server, watched for CSP violations."""
    contexts = []

    def _new():
        context = browser.new_context(base_url=stack.url, viewport={"width": 1200, "height": 900})
        context.set_default_timeout(15_000)
        csp.attach(context)
        contexts.append(context)
        return context

    yield _new
    for context in contexts:
        context.close()


@pytest.fixture
def open_as(new_context):
    """open_as(user) → a logged-in Page in its own browser context."""

    def _open(user):
        page = new_context().new_page()
        page.goto("/login/")
        page.get_by_label("Username").fill(user.get_username())
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        return page

    return _open


def open_pending(page, listed: int, topic: str = "Pending topic") -> None:
    """The admins' pending page, reloaded until `listed` rows of `topic` show: visibility is
    eventually consistent."""
    page.goto("/review/pending/")
    for _ in range(50):
        if page.get_by_role("link", name=re.compile(topic)).count() == listed:
            break
        page.wait_for_timeout(200)
        page.reload()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    # caret="initial": hiding the caret (the default) leaves an empty style="" on the page's
    # inputs, which htmx's settle then copies onto swapped-in inputs by setAttribute: a
    # style-src-attr violation the app never causes by itself.
    page.screenshot(path=str(path), full_page=False, caret="initial")
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOC_IMAGES / f"{name}.png")
