"""Real-browser tests: headless Chromium (Debian's `chromium` and `chromium-driver`) driven by
Selenium. Loaded by conftest.py as a plugin (`pytest_plugins`), so a test only asks for the
`browser` fixture: a fresh `selenium.webdriver.Chrome` with its own profile (no cookie from
another test), bounded page-load and script timeouts.

- Chromium or chromedriver missing: the test is skipped with the reason, except in CI (`CI=true`),
  where it fails (`.ci/run` installs both).
- The PostgreSQL pass of the suite (GATEHOUSE_E2E_DATABASE_URL set) skips browser tests: they run
  once, on SQLite. A test marked `browser_every_database` runs in both passes.
- Selenium gets chromedriver's path explicitly, so Selenium Manager (which would download a
  driver) never runs.
- A failing test's report gets the page the browser was on (URL, title, HTML) and the path of a
  screenshot.

The helpers below (`wait_for`, `wait_for_url`, `submit_login`, `page_error`) are what the hosted
pages need; they take the WebDriver the fixture gives.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

#: Seconds a page may take to load (driver.get, a form submission's navigation).
PAGE_LOAD_TIMEOUT = 10
#: Seconds the helpers wait for an element or a URL.
WAIT_TIMEOUT = 5
#: Where Debian's chromium-driver puts chromedriver.
DEFAULT_DRIVER = "/usr/bin/chromedriver"
CHROMIUM_NAMES = ("chromium", "chromium-browser")

_driver_key = pytest.StashKey[tuple[Any, Path]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "browser_every_database: a browser test that also runs in the PostgreSQL pass",
    )


def chromium_paths() -> tuple[str | None, str | None]:
    """(chromium, chromedriver): the executables found, None for one that is missing."""
    chromium = next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)
    driver = shutil.which("chromedriver")
    if driver is None and os.access(DEFAULT_DRIVER, os.X_OK):
        driver = DEFAULT_DRIVER
    return chromium, driver


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(
            f"{reason}; CI=true, so browser tests may not be skipped "
            "(.ci/run installs chromium and chromium-driver, e2e/requirements.txt selenium)",
            pytrace=False,
        )
    pytest.skip(f"{reason} (apt-get install chromium chromium-driver; pip install selenium)")


def chrome_options(chromium: str, profile: Path) -> Any:
    from selenium.webdriver import ChromeOptions

    options = ChromeOptions()
    options.binary_location = chromium
    options.page_load_strategy = "normal"
    for argument in (
        "--headless=new",
        f"--user-data-dir={profile}",  # a fresh profile: no cookie survives the test
        "--disable-dev-shm-usage",  # containers have a small /dev/shm
        "--disable-gpu",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        "--password-store=basic",
        "--window-size=1024,768",
    ):
        options.add_argument(argument)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium refuses to start sandboxed as root
    return options


@pytest.fixture
def browser(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A headless Chromium (selenium.webdriver.Chrome) with a fresh profile, quit after the
    test."""
    if os.environ.get("GATEHOUSE_E2E_DATABASE_URL") and not request.node.get_closest_marker(
        "browser_every_database"
    ):
        pytest.skip("browser tests run in the SQLite pass only")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed")
        raise  # not reached: _unavailable skips or fails
    chromium, driver_path = chromium_paths()
    if chromium is None or driver_path is None:
        missing = [n for n, p in (("chromium", chromium), ("chromedriver", driver_path)) if not p]
        _unavailable(f"{' and '.join(missing)} not found")
    assert chromium is not None and driver_path is not None

    workdir = tmp_path / "chromium"
    workdir.mkdir()
    service = Service(executable_path=driver_path, log_output=str(workdir / "chromedriver.log"))
    options = chrome_options(chromium, workdir / "profile")
    driver = webdriver.Chrome(service=service, options=options)
    try:
        driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT)
        driver.set_script_timeout(WAIT_TIMEOUT)
        request.node.stash[_driver_key] = (driver, workdir)
        yield driver
    finally:
        if _driver_key in request.node.stash:
            del request.node.stash[_driver_key]
        driver.quit()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On failure, attach the page the browser shows (the driver is still open: the fixture's
    teardown comes after the call's report)."""
    outcome = yield
    report = outcome.get_result()
    found = item.stash.get(_driver_key, None)
    if not report.failed or found is None or report.when != "call":
        return
    driver, workdir = found
    try:
        screenshot = workdir / "failure.png"
        driver.save_screenshot(str(screenshot))
        html = driver.page_source
        if len(html) > 4000:
            html = html[:4000] + f"\n... ({len(html) - 4000} more characters)"
        text = f"URL: {driver.current_url}\ntitle: {driver.title}\nscreenshot: {screenshot}\n{html}"
    except Exception as e:  # noqa: BLE001 - a dead browser must not hide the test's failure
        text = f"(could not read the page: {e!r})"
    report.sections.append(("browser page", text))


# --- helpers for pages ---------------------------------------------------------------------------


def wait_for(driver: Any, css: str, timeout: float = WAIT_TIMEOUT) -> Any:
    """The first element matching `css`, once it is in the page."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, css))
        )
    except TimeoutException:
        raise AssertionError(
            f"no element {css!r} after {timeout}s on {driver.current_url}"
        ) from None


def wait_for_url(
    driver: Any, wanted: str | Callable[[str], bool], timeout: float = WAIT_TIMEOUT
) -> str:
    """Waits until the browser's URL starts with `wanted` (or `wanted(url)` is true), then the
    page has loaded; returns the URL."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    def matches(d: Any) -> bool:
        url = d.current_url
        ok = wanted(url) if callable(wanted) else url.startswith(wanted)
        return ok and d.execute_script("return document.readyState") == "complete"

    try:
        WebDriverWait(driver, timeout).until(matches)
    except TimeoutException:
        raise AssertionError(
            f"the browser did not reach {wanted!r} in {timeout}s; it is at {driver.current_url}"
        ) from None
    return driver.current_url


def submit_login(driver: Any, username: str, password: str) -> None:
    """Fills in the hosted login page (/u/login) the browser shows and submits it. Where the
    browser goes next is up to the caller to wait for (the relying party's callback, an error on
    the page, another page)."""
    wait_for_url(driver, lambda url: "/u/login" in url)
    form = wait_for(driver, "form input[name=username]").find_element("xpath", "ancestor::form")
    name = form.find_element("css selector", "input[name=username]")
    name.clear()
    name.send_keys(username)
    form.find_element("css selector", "input[name=password]").send_keys(password)
    form.find_element("css selector", "button[type=submit]").click()


def page_error(driver: Any, timeout: float = WAIT_TIMEOUT) -> str:
    """The text of the error the page shows (role=alert), once there is one."""
    return wait_for(driver, "[role=alert]", timeout).text.strip()
