"""The hosted login page's show-password toggle and language in a real browser (headless Chromium,
see browser.py). SQLite pass only (the `browser` fixture skips in the PostgreSQL pass)."""

from __future__ import annotations

from typing import Any

from browser import wait_for
from relying_party import RelyingParty
from support import User


def test_show_password_toggle_reveals_the_password_and_hides_it_again(
    browser: Any, relying_party: RelyingParty, user: User
) -> None:
    browser.get(relying_party.login_url())
    field = wait_for(browser, "input[name=password]")
    field.send_keys("correct horse")
    toggle = wait_for(browser, "button[data-reveals=password]")
    # The script (allowed by its hash in the CSP) showed the button that the markup hides.
    assert toggle.is_displayed()
    assert toggle.get_attribute("aria-pressed") == "false"
    assert toggle.get_attribute("aria-label") == "Show password"
    assert toggle.text == "Show"

    toggle.click()
    assert field.get_attribute("type") == "text"
    assert toggle.get_attribute("aria-pressed") == "true"
    assert toggle.text == "Hide"
    assert field.get_attribute("value") == "correct horse"

    toggle.click()
    assert field.get_attribute("type") == "password"
    assert toggle.get_attribute("aria-pressed") == "false"
    # The toggle did not submit the form.
    assert "/u/login" in browser.current_url
    assert relying_party.callbacks.all == []


def test_login_page_in_french_when_the_application_asks_for_ui_locales_fr(
    browser: Any, relying_party: RelyingParty, user: User
) -> None:
    browser.get(relying_party.login_url(ui_locales="fr"))
    assert wait_for(browser, "html").get_attribute("lang") == "fr"
    assert wait_for(browser, "h1").text.startswith("Se connecter")
    assert wait_for(browser, "button[data-reveals=password]").text == "Afficher"
