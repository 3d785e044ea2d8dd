"""MFA in a real browser (issue 17; `auth0-actions.md` §3.1): a post-login action asks for MFA
with `api.multifactor.enable`, the hosted page `/u/mfa` enrols an authenticator app from its QR
code's key (codes from pyotp, as an app computes them) or a phone (the code goes through a bound
send-phone-message action that posts it to a loopback SMS gateway), shows the recovery code
once, remembers the browser when the action allows it, and the ID token Authlib receives says
`amr: ["mfa"]`. SQLite pass only."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pyotp

from browser import page_error, submit_login, wait_for, wait_for_url
from relying_party import RelyingParty, RequestRecorder
from support import ActionSpec, DeployedAction, User

Bind = Callable[..., list[DeployedAction]]


def enable_mfa(options: str = "") -> str:
    return f"exports.onExecutePostLogin = async (event, api) => {{ api.multifactor.enable('any'{options}); }};"


SMS_GATEWAY = """
exports.onExecuteSendPhoneMessage = async (event, api) => {
  const { recipient, text, code, action } = event.message_options;
  const response = await fetch(event.secrets.GATEWAY, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ to: recipient, text, code, action }),
  });
  if (!response.ok) throw new Error(`the SMS gateway answered ${response.status}`);
};
"""


def enter_code(browser: Any, code: str, remember: bool = False) -> None:
    """Types `code` into the MFA page's code form and submits it."""
    field = wait_for(browser, "input[name=code]")
    field.clear()
    field.send_keys(code)
    if remember:
        browser.find_element("css selector", "input[name=remember]").click()
    field.find_element("xpath", "ancestor::form").find_element("css selector", "button[type=submit]").click()


def on_mfa_page(browser: Any) -> None:
    wait_for_url(browser, lambda url: "/u/mfa" in url)


def test_totp_enrolment_recovery_code_remembered_browser_and_challenge(
    browser: Any, relying_party: RelyingParty, bind_actions: Bind, user: User, mgmt: Any, factors_restored: None
) -> None:
    mgmt.guardian.factors.set("otp", enabled=True)
    mgmt.guardian.factors.set("recovery-code", enabled=True)
    bind_actions("post-login", enable_mfa(", { allowRememberBrowser: true }"))

    browser.get(relying_party.login_url())
    submit_login(browser, user.email, user.password)
    on_mfa_page(browser)
    assert wait_for(browser, "#mfa-qr svg").get_attribute("aria-label")
    secret = wait_for(browser, "#mfa-secret").text.strip()
    app = pyotp.TOTP(secret)

    wrong = "000000" if app.now() != "000000" else "111111"
    enter_code(browser, wrong)
    assert "The code is not valid" in page_error(browser)
    assert wait_for(browser, "#mfa-secret").text.strip() == secret, "the same key is shown again"

    enter_code(browser, app.now(), remember=True)
    recovery_code = wait_for(browser, "#recovery-code").text.strip()
    assert len(recovery_code) == 24
    wait_for(browser, "#continue").click()
    first = relying_party.wait_for_login()
    assert first.id_claims["sub"] == user.user_id
    assert first.id_claims["amr"] == ["mfa"]

    # The same browser again: remembered, as the action allows it; no MFA page.
    browser.get(relying_party.login_url())
    second = relying_party.wait_for_login()
    assert "amr" not in second.id_claims

    # An action that does not allow remembering: the browser is challenged. The code of the next
    # time step (one step of drift is accepted) works, and only once.
    bind_actions("post-login", enable_mfa())
    browser.get(relying_party.login_url())
    on_mfa_page(browser)
    assert not browser.find_elements("css selector", "input[name=remember]")
    enter_code(browser, app.at(time.time() + 30))
    third = relying_party.wait_for_login()
    assert third.id_claims["amr"] == ["mfa"]

    # The recovery code, once; a new one replaces it and is shown once.
    browser.get(relying_party.login_url())
    on_mfa_page(browser)
    wait_for(browser, "a[href*='factor=recovery-code']").click()
    wait_for_url(browser, lambda url: "factor=recovery-code" in url)
    enter_code(browser, recovery_code)
    new_code = wait_for(browser, "#recovery-code").text.strip()
    assert new_code != recovery_code
    wait_for(browser, "#continue").click()
    assert relying_party.wait_for_login().id_claims["amr"] == ["mfa"]


def test_sms_enrolment_and_challenge_through_a_send_phone_message_action(
    browser: Any,
    relying_party: RelyingParty,
    make_request_recorder: Callable[..., RequestRecorder],
    bind_actions: Bind,
    user: User,
    mgmt: Any,
    factors_restored: None,
) -> None:
    gateway = make_request_recorder()
    mgmt.guardian.factors.set("sms", enabled=True)
    mgmt.guardian.factors.phone.set_provider(provider="phone-message-hook")
    bind_actions("send-phone-message", ActionSpec(code=SMS_GATEWAY, secrets={"GATEWAY": gateway.url("/sms")}))
    bind_actions("post-login", enable_mfa())

    browser.get(relying_party.login_url())
    submit_login(browser, user.email, user.password)
    on_mfa_page(browser)
    number = wait_for(browser, "input[name=phone_number]")
    number.send_keys("+15555550123")
    number.find_element("xpath", "ancestor::form").find_element("css selector", "button[type=submit]").click()
    enrolment = gateway.wait_for_request().json()
    assert enrolment["to"] == "+15555550123"
    assert enrolment["action"] == "enrollment"
    assert enrolment["text"].startswith(enrolment["code"])
    assert "0123" in wait_for(browser, "#mfa-notice").text
    enter_code(browser, enrolment["code"])
    assert relying_party.wait_for_login().id_claims["amr"] == ["mfa"]

    # The next login challenges the phone: nothing is sent until the person asks.
    browser.get(relying_party.login_url())
    on_mfa_page(browser)
    wait_for(browser, "#send-code").click()
    challenge = gateway.wait_for_request().json()
    assert challenge["action"] == "second-factor-authentication"
    enter_code(browser, challenge["code"])
    assert relying_party.wait_for_login().id_claims["amr"] == ["mfa"]
