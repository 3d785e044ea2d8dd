"""The hosted login in a real browser (headless Chromium driven by Selenium, see browser.py): a
relying party on loopback (relying_party.py) starts the login with Authlib, the browser fills in
the hosted page, and the relying party exchanges the code and verifies the ID token. SQLite pass
only (the `browser` fixture skips in the PostgreSQL pass)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from browser import page_error, submit_login, wait_for, wait_for_url
from relying_party import RelyingParty
from support import DeployedAction, User

#: The namespace of the custom claims the test actions set.
NS = "https://gatehouse.e2e/"

Bind = Callable[..., list[DeployedAction]]


def test_hosted_login_ends_at_the_app_with_a_claim_set_by_a_post_login_action(
    browser: Any, relying_party: RelyingParty, user: User, bind_actions: Bind
) -> None:
    bind_actions(
        "post-login",
        f"const NS = {json.dumps(NS)};\n"
        "exports.onExecutePostLogin = async (event, api) => {\n"
        "  api.idToken.setCustomClaim(NS + 'greeting', 'hello ' + event.user.email);\n"
        "};\n",
    )
    browser.get(relying_party.login_url())
    assert "Log in" in wait_for(browser, "h1").text
    submit_login(browser, user.email, user.password)

    login = relying_party.wait_for_login()
    assert login.id_claims["sub"] == user.user_id
    assert login.id_claims["email"] == user.email
    assert login.id_claims[NS + "greeting"] == f"hello {user.email}"
    # The browser shows the application's page with the same claims.
    wait_for_url(browser, relying_party.callback_url)
    shown = json.loads(wait_for(browser, "#claims").text)
    assert shown[NS + "greeting"] == f"hello {user.email}"


def test_second_login_in_the_same_browser_reuses_the_session(
    browser: Any, relying_party: RelyingParty, user: User
) -> None:
    browser.get(relying_party.login_url())
    submit_login(browser, user.email, user.password)
    first = relying_party.wait_for_login()

    # No form this time: /login -> /authorize -> /callback in one navigation.
    browser.get(relying_party.login_url())
    second = relying_party.wait_for_login()
    assert browser.current_url.startswith(relying_party.callback_url), browser.current_url
    assert second.id_claims["sub"] == user.user_id
    assert second.id_claims["sid"] == first.id_claims["sid"]
    assert second.id_claims["auth_time"] == first.id_claims["auth_time"]
    assert second.id_claims["nonce"] != first.id_claims["nonce"]


def test_wrong_password_shows_the_error_on_the_login_page(
    browser: Any, relying_party: RelyingParty, user: User
) -> None:
    browser.get(relying_party.login_url())
    submit_login(browser, user.email, user.password + "-wrong")

    assert page_error(browser) == "Wrong email or password."
    assert "/u/login" in browser.current_url
    name = wait_for(browser, "input[name=username]")
    assert name.get_attribute("value") == user.email
    assert name.get_attribute("aria-invalid") == "true"
    assert wait_for(browser, "input[name=password]").get_attribute("value") == ""
    assert relying_party.callbacks.all == []

    # The same page takes the right password.
    submit_login(browser, user.email, user.password)
    assert relying_party.wait_for_login().id_claims["sub"] == user.user_id


def test_logout_ends_the_session_in_the_browser(
    browser: Any, relying_party: RelyingParty, user: User
) -> None:
    browser.get(relying_party.login_url())
    submit_login(browser, user.email, user.password)
    relying_party.wait_for_login()

    browser.get(relying_party.logout_url())
    relying_party.wait_for_logout()
    wait_for(browser, "#logged-out")

    # Silent authentication now fails, and a new login shows the form again.
    browser.get(relying_party.login_url(prompt="none"))
    assert relying_party.wait_for_callback().error == "login_required"
    browser.get(relying_party.login_url())
    wait_for_url(browser, lambda url: "/u/login" in url)
    wait_for(browser, "input[name=password]")
