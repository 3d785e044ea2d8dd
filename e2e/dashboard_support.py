"""What the dashboard's browser tests share: screenshots at a desktop and a phone width, a
poll for a page that is still changing, and signing an operator in."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from browser import submit_login, wait_for
from support import User

SHOTS = Path(os.environ.get("GATEHOUSE_SCREENSHOTS") or tempfile.mkdtemp(prefix="gatehouse-dashboard-"))


def shot(browser: Any, name: str) -> None:
    """`<name>.png` at 1280×800 and `<name>-phone.png` at 390×844 in $GATEHOUSE_SCREENSHOTS."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(1280, 800)
    browser.save_screenshot(str(SHOTS / f"{name}.png"))
    browser.set_window_size(390, 844)
    browser.save_screenshot(str(SHOTS / f"{name}-phone.png"))
    browser.set_window_size(1280, 800)


def until(condition: Callable[[], Any], timeout: float = 30, what: str = "condition") -> Any:
    """`condition()`'s first truthy value, tried every 0.1 s (errors count as not yet)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception:  # noqa: BLE001 - the page is still changing
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def sign_in_operator(browser: Any, issuer: str, token: str, operator: User) -> None:
    """Gives `operator` the Gatehouse Operator role and signs them in to the dashboard through
    the hosted login page; returns once the actions list is shown."""
    headers = {"Authorization": f"Bearer {token}"}
    roles = requests.get(issuer + "api/v2/roles", params={"name_filter": "Gatehouse Operator"}, headers=headers, timeout=10).json()
    role_id = next(r["id"] for r in roles if r["name"] == "Gatehouse Operator")
    assigned = requests.post(issuer + f"api/v2/users/{operator.user_id}/roles", json={"roles": [role_id]}, headers=headers, timeout=10)
    assert assigned.status_code in (200, 201, 204), assigned.text
    browser.set_window_size(1280, 800)
    browser.get(issuer + "dashboard/")
    submit_login(browser, operator.email, operator.password)
    until(lambda: wait_for(browser, "main h1").text == "Actions", what="the actions list")
