"""Redirect and resume in a real browser (`auth0-actions.md` §7): a post-login action sends the
browser to a redirect target on another site (relying_party.RedirectTarget), which checks the
action's token and sends the browser back to the real `/continue` with a token of its own, by a
cross-site form POST (as Auth0 recommends) or a GET; the ID token Authlib receives carries what
the action set after the resume. SQLite pass only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from browser import page_error, submit_login, wait_for_url
from relying_party import RelyingParty
from support import ActionSpec, DeployedAction, User

NS = "https://gatehouse.e2e/"

Bind = Callable[..., list[DeployedAction]]

REDIRECTING = """
exports.onExecutePostLogin = async (event, api) => {
  api.transaction.setMetadata('asked', 'before');
  const token = api.redirect.encodeToken({ secret: event.secrets.SECRET, payload: { email: event.user.email } });
  api.redirect.sendUserTo(event.secrets.TARGET, { query: { session_token: token } });
};
exports.onContinuePostLogin = async (event, api) => {
  const answer = api.redirect.validateToken({ secret: event.secrets.SECRET });
  api.idToken.setCustomClaim('https://gatehouse.e2e/color', answer.color);
  api.idToken.setCustomClaim('https://gatehouse.e2e/kept', event.transaction.metadata.asked);
  api.idToken.setCustomClaim('https://gatehouse.e2e/method', event.request.method);
};
"""

AFTER = """
exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim('https://gatehouse.e2e/after', 'ran after the resume');
};
"""


def bind_redirect(bind_actions: Bind, target: Any) -> None:
    bind_actions(
        "post-login",
        ActionSpec(code=REDIRECTING, secrets={"SECRET": target.secret, "TARGET": target.redirect_url}),
        AFTER,
    )


def test_redirect_and_resume_by_a_cross_site_post(
    browser: Any, relying_party: RelyingParty, make_redirect_target: Callable[..., Any], bind_actions: Bind, user: User
) -> None:
    target = make_redirect_target(claims={"color": "blue"})
    bind_redirect(bind_actions, target)
    browser.get(relying_party.login_url())
    submit_login(browser, user.email, user.password)

    visit = target.wait_for_visit()
    assert visit.token_claims["sub"] == user.user_id
    assert visit.token_claims["email"] == user.email
    login = relying_party.wait_for_login()
    assert login.id_claims["sub"] == user.user_id
    assert login.id_claims[NS + "color"] == "blue"
    assert login.id_claims[NS + "kept"] == "before"
    assert login.id_claims[NS + "method"] == "POST"
    assert login.id_claims[NS + "after"] == "ran after the resume"


def test_redirect_and_resume_by_a_get(
    browser: Any, relying_party: RelyingParty, make_redirect_target: Callable[..., Any], bind_actions: Bind, user: User
) -> None:
    target = make_redirect_target(claims={"color": "green"}, method="get")
    bind_redirect(bind_actions, target)
    browser.get(relying_party.login_url())
    submit_login(browser, user.email, user.password)
    login = relying_party.wait_for_login()
    assert login.id_claims[NS + "color"] == "green"
    assert login.id_claims[NS + "method"] == "GET"


def test_a_token_signed_with_another_secret_fails_the_login_back_to_the_app(
    browser: Any, relying_party: RelyingParty, make_redirect_target: Callable[..., Any], bind_actions: Bind, user: User
) -> None:
    target = make_redirect_target(return_secret="not-the-shared-secret-of-this-login-at-all")
    bind_redirect(bind_actions, target)
    browser.get(relying_party.login_url())
    submit_login(browser, user.email, user.password)
    callback = relying_party.wait_for_callback()
    assert callback.error == "access_denied"
    assert "The session token is invalid" in callback.params.get("error_description", "")


def test_continuing_twice_is_refused_with_a_page(
    browser: Any, relying_party: RelyingParty, make_redirect_target: Callable[..., Any], bind_actions: Bind, user: User
) -> None:
    target = make_redirect_target(claims={"color": "red"}, method="get")
    bind_redirect(bind_actions, target)
    browser.get(relying_party.login_url())
    submit_login(browser, user.email, user.password)
    relying_party.wait_for_login()
    visit = target.wait_for_visit()
    browser.get(f"{target.continue_url}?state={visit.state}")
    wait_for_url(browser, lambda url: "/continue" in url)
    assert "already continued" in page_error(browser)
