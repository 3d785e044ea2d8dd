"""pre-user-registration and password-reset-post-challenge against the real binary (issue 18): a
sign-up an action refuses shows the action's message on the hosted page in headless Chromium,
and an allowed one carries the metadata the action set before the user existed
(auth0-python's `Database.signup`); a password reset whose post-challenge action asks for the
user's authenticator app (codes from pyotp) before the new password can be set."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pyotp
import requests
from auth0.authentication import Database
from auth0.management import Auth0

from browser import page_error, wait_for, wait_for_url
from relying_party import RelyingParty
from support import DATABASE_CONNECTION, HTTP_TIMEOUT, ActionSpec, App, DeployedAction, Server, User, unique
from test_mfa_api import bearer, mfa_app, mfa_token, otp_factors, require_mfa_for, token_request  # noqa: F401 (fixtures)

Bind = Callable[..., list[DeployedAction]]

SIGNUP_GATE = """
exports.onExecutePreUserRegistration = async (event, api) => {
  if (event.user.email.endsWith('@closed.e2e.test')) {
    api.access.deny('closed domain: ' + event.user.email, 'Sign-ups from closed.e2e.test are not accepted.');
    return;
  }
  api.user.setAppMetadata('plan', 'trial');
  api.user.setUserMetadata('signed_up_from', event.client ? event.client.name : 'management');
};
"""


def test_a_refused_signup_shows_the_action_message_and_an_allowed_one_carries_its_metadata(
    browser: Any, relying_party: RelyingParty, bind_actions: Bind, mgmt: Auth0, issuer: str
) -> None:
    bind_actions("pre-user-registration", ActionSpec(code=SIGNUP_GATE, name="signup-gate"))
    browser.get(relying_party.login_url(screen_hint="signup"))
    wait_for_url(browser, lambda url: "/u/signup" in url)
    form = wait_for(browser, "form input[name=email]").find_element("xpath", "ancestor::form")
    form.find_element("css selector", "input[name=email]").send_keys(f"{unique('eve')}@closed.e2e.test")
    form.find_element("css selector", "input[name=password]").send_keys("Corr3ct-Horse-42")
    form.find_element("css selector", "button[type=submit]").click()
    assert page_error(browser) == "Sign-ups from closed.e2e.test are not accepted."

    email = f"{unique('sam')}@e2e.test"
    domain = issuer.split("//")[1].rstrip("/")
    created = Database(domain, relying_party.app.client_id, protocol="http").signup(
        email=email, password="Corr3ct-Horse-42", connection=DATABASE_CONNECTION
    )
    assert created["email"] == email
    [user] = mgmt.users.list_users_by_email(email=email)
    assert user.app_metadata == {"plan": "trial"}
    assert user.user_metadata == {"signed_up_from": relying_party.app.raw.name}


RESET_CHALLENGE = """
exports.onExecutePostChallenge = async (event, api) => {
  if (event.user.enrolledFactors.some((factor) => factor.type === 'otp')) {
    api.authentication.challengeWith({ type: 'otp' });
  }
  api.transaction.setResultUrl('https://app.e2e.test/password-changed');
};
"""


def test_a_reset_whose_post_challenge_action_asks_for_the_authenticator_app(
    gatehouse: Server,
    issuer: str,
    mgmt: Auth0,
    bind_actions: Bind,
    make_user: Callable[..., User],
    mfa_app: App,  # noqa: F811 (a fixture)
    otp_factors: None,  # noqa: F811 (a fixture)
) -> None:
    user = make_user(email_verified=True)
    # The user enrols an authenticator app through Auth0's MFA API on a first login.
    bind_actions("post-login", ActionSpec(code=require_mfa_for(mfa_app.client_id), name="require-mfa"))
    token = mfa_token(gatehouse, mfa_app, user)
    association = requests.post(
        gatehouse.url("/mfa/associate"), headers=bearer(token), json={"authenticator_types": ["otp"]}, timeout=HTTP_TIMEOUT
    ).json()
    app = pyotp.TOTP(association["secret"])
    confirmed = token_request(
        gatehouse, mfa_app, grant_type="http://auth0.com/oauth/grant-type/mfa-otp", mfa_token=token, otp=app.now()
    )
    assert confirmed.status_code == 200, confirmed.text
    bind_actions("post-login")  # no MFA at the login after the reset

    bind_actions("password-reset-post-challenge", ActionSpec(code=RESET_CHALLENGE, name="reset-challenge"))
    link = mgmt.tickets.change_password(user_id=user.user_id).ticket
    browser = requests.Session()
    challenge = browser.get(link, timeout=HTTP_TIMEOUT)
    assert challenge.status_code == 200 and "authenticator app" in challenge.text, challenge.text
    assert 'name="password"' not in challenge.text
    ticket = link.split("ticket=")[1]
    # The code of the next time step (the current one was used to enrol).
    proved = browser.post(
        issuer + "u/reset-password",
        data={"ticket": ticket, "action": "verify", "factor": "otp", "code": app.at(time.time() + 30)},
        timeout=HTTP_TIMEOUT,
    )
    assert 'name="password"' in proved.text, proved.text
    done = browser.post(
        issuer + "u/reset-password",
        data={"ticket": ticket, "password": "N3w-horse-battery", "confirm": "N3w-horse-battery"},
        timeout=HTTP_TIMEOUT,
        allow_redirects=False,
    )
    assert done.status_code == 302
    assert done.headers["Location"].startswith("https://app.e2e.test/password-changed?success=true")
    login = token_request(
        gatehouse,
        mfa_app,
        grant_type="http://auth0.com/oauth/grant-type/password-realm",
        realm=DATABASE_CONNECTION,
        username=user.email,
        password="N3w-horse-battery",
        scope="openid",
    )
    assert login.status_code == 200, login.text
