"""Authorization code flow with PKCE through the hosted login page, driven by Authlib's
OAuth2Session (the relying party) and a scripted browser (the user agent)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt as pyjwt
import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuthError

from support import (
    DATABASE_CONNECTION,
    Api,
    App,
    Authorization,
    Browser,
    Login,
    Server,
    User,
    audiences,
    find_form,
    location,
    log_in,
    open_login_page,
    query_params,
    rp_session,
    submit_credentials,
    unique,
    verify_with_pyjwt,
    without_query,
)


def test_code_flow_with_pkce_issues_verified_tokens(
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    web_app: App,
    api: Api,
    user: User,
    issuer: str,
    jwks_client: pyjwt.PyJWKClient,
) -> None:
    started = int(time.time())
    browser = Browser()
    authz = authorize(web_app)
    page = open_login_page(browser, authz.url)
    hidden = page.form.hidden_fields()
    assert "state" in hidden and "_csrf" in hidden, page.form.inputs
    assert page.form.input("password")["type"] == "password"

    redirect = location(submit_credentials(browser, page, user.email, user.password))
    login = redeem(authz, redirect)

    assert login.token["token_type"].lower() == "bearer"
    assert login.token.get("refresh_token"), "offline_access should yield a refresh token"
    claims = login.id_claims
    assert claims["sub"] == user.user_id
    assert claims["email"] == user.email
    assert claims["nonce"] == authz.nonce
    assert isinstance(claims["auth_time"], int)
    assert started - 5 <= claims["auth_time"] <= int(time.time()) + 5
    assert isinstance(claims["sid"], str) and claims["sid"]

    # The access token is for the requested API (and /userinfo, since openid was asked for).
    access = verify_with_pyjwt(
        login.token["access_token"], jwks_client, issuer=issuer, audience=api.identifier
    )
    assert access["sub"] == user.user_id
    assert access["azp"] == web_app.client_id
    assert set(audiences(access)) == {api.identifier, f"{issuer}userinfo"}
    assert {"openid", "profile", "email", "offline_access"} <= set(access["scope"].split())


def test_userinfo_with_the_access_token(
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    discovery: dict[str, Any],
    web_app: App,
    user: User,
) -> None:
    authz = authorize(web_app)
    login = redeem(authz, log_in(Browser(), authz.url, user.email, user.password))
    r = authz.oauth.get(discovery["userinfo_endpoint"], timeout=15)
    assert r.status_code == 200, r.text
    info = r.json()
    assert info["sub"] == login.id_claims["sub"] == user.user_id
    assert info["email"] == user.email
    assert info["email_verified"] is True


def test_refresh_token_rotation_and_reuse_detection(
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    discovery: dict[str, Any],
    web_app: App,
    user: User,
) -> None:
    authz = authorize(web_app)
    login = redeem(authz, log_in(Browser(), authz.url, user.email, user.password))
    old_refresh = login.token["refresh_token"]
    token_endpoint = discovery["token_endpoint"]

    refreshed = rp_session(web_app).refresh_token(token_endpoint, refresh_token=old_refresh)
    new_refresh = refreshed.get("refresh_token")
    assert refreshed["access_token"]
    assert new_refresh and new_refresh != old_refresh, "refresh tokens must rotate"

    # Replaying the spent token is refused ...
    with pytest.raises(OAuthError) as e:
        rp_session(web_app).refresh_token(token_endpoint, refresh_token=old_refresh)
    assert e.value.error == "invalid_grant"
    # ... and revokes the whole family, so the thief's or the victim's copy is useless.
    with pytest.raises(OAuthError) as e:
        rp_session(web_app).refresh_token(token_endpoint, refresh_token=new_refresh)
    assert e.value.error == "invalid_grant"


def test_authorization_code_is_single_use(
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    discovery: dict[str, Any],
    web_app: App,
    user: User,
) -> None:
    authz = authorize(web_app)
    redirect = log_in(Browser(), authz.url, user.email, user.password)
    redeem(authz, redirect)
    with pytest.raises(OAuthError) as e:
        rp_session(web_app).fetch_token(
            discovery["token_endpoint"],
            authorization_response=redirect,
            state=authz.state,
            code_verifier=authz.code_verifier,
        )
    assert e.value.error == "invalid_grant"


def test_wrong_code_verifier_is_invalid_grant(
    authorize: Callable[..., Authorization],
    discovery: dict[str, Any],
    web_app: App,
    user: User,
) -> None:
    authz = authorize(web_app)
    redirect = log_in(Browser(), authz.url, user.email, user.password)
    with pytest.raises(OAuthError) as e:
        authz.oauth.fetch_token(
            discovery["token_endpoint"],
            authorization_response=redirect,
            state=authz.state,
            code_verifier=generate_token(48),
        )
    assert e.value.error == "invalid_grant"


def test_wrong_password_rerenders_the_login_page(
    authorize: Callable[..., Authorization], web_app: App, user: User
) -> None:
    browser = Browser()
    page = open_login_page(browser, authorize(web_app).url)
    failed = submit_credentials(browser, page, user.email, "not-the-password")
    assert failed.status_code in (400, 401), (failed.status_code, failed.headers)
    assert "Wrong email or password" in failed.text
    # The page can be submitted again, and the right password then works.
    again = find_form(failed.text, "username", "password")
    retry_url = failed.url
    ok = browser.submit(retry_url, again, {"username": user.email, "password": user.password})
    assert "code" in query_params(location(ok))


def test_sso_session_skips_the_login_page(
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    web_app: App,
    user: User,
) -> None:
    browser = Browser()
    first_authz = authorize(web_app)
    first = redeem(first_authz, log_in(browser, first_authz.url, user.email, user.password))

    second_authz = authorize(web_app)
    redirect = location(browser.get(second_authz.url))
    assert without_query(redirect) == web_app.callback, f"expected SSO, got {redirect}"
    second = redeem(second_authz, redirect)
    assert second.id_claims["sub"] == user.user_id
    assert second.id_claims["sid"] == first.id_claims["sid"], "same browser session, same sid"
    assert second.id_claims["auth_time"] == first.id_claims["auth_time"], "no new authentication"


def test_prompt_login_forces_the_login_page(
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    web_app: App,
    user: User,
) -> None:
    browser = Browser()
    first = authorize(web_app)
    redeem(first, log_in(browser, first.url, user.email, user.password))
    again = authorize(web_app, prompt="login")
    page = open_login_page(browser, again.url)
    login = redeem(again, location(submit_credentials(browser, page, user.email, user.password)))
    assert login.id_claims["sub"] == user.user_id


def test_prompt_none_without_a_session_is_login_required(
    authorize: Callable[..., Authorization], web_app: App
) -> None:
    authz = authorize(web_app, prompt="none")
    redirect = location(Browser().get(authz.url))
    assert without_query(redirect) == web_app.callback, redirect
    params = query_params(redirect)
    assert params.get("error") == "login_required", params
    assert params.get("state") == authz.state, params
    assert "code" not in params


def test_prompt_none_with_a_session_returns_a_code(
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    web_app: App,
    user: User,
) -> None:
    browser = Browser()
    first = authorize(web_app)
    redeem(first, log_in(browser, first.url, user.email, user.password))
    silent = authorize(web_app, prompt="none")
    login = redeem(silent, location(browser.get(silent.url)))
    assert login.id_claims["sub"] == user.user_id


def test_login_hint_prefills_the_username(
    authorize: Callable[..., Authorization], web_app: App, user: User
) -> None:
    page = open_login_page(Browser(), authorize(web_app, login_hint=user.email).url)
    assert page.form.input("username").get("value") == user.email


def test_response_mode_form_post(
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    web_app: App,
    user: User,
) -> None:
    browser = Browser()
    authz = authorize(web_app, response_mode="form_post")
    page = open_login_page(browser, authz.url)
    answer = submit_credentials(browser, page, user.email, user.password)
    assert answer.status_code == 200, (answer.status_code, answer.text[:1000])
    form = find_form(answer.text, "code", "state")
    assert form.method == "post"
    assert form.action == web_app.callback
    fields = form.hidden_fields()
    assert fields["state"] == authz.state
    # The RP receives the same values it would have read from the query string.
    login = redeem(authz, f"{web_app.callback}?code={fields['code']}&state={fields['state']}")
    assert login.id_claims["sub"] == user.user_id


def test_signup_page_creates_the_user_and_logs_in(
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    gatehouse: Server,
    mgmt: Any,
    web_app: App,
) -> None:
    browser = Browser()
    authz = authorize(web_app)
    login_page = open_login_page(browser, authz.url)
    signup_url = gatehouse.url(f"/u/signup?state={query_params(login_page.url)['state']}")
    page = browser.get(signup_url)
    assert page.status_code == 200, page.text[:1000]
    form = find_form(page.text, "email", "password")
    email = f"{unique('hosted-signup')}@e2e.test"
    answer = browser.submit(signup_url, form, {"email": email, "password": "Hosted-Signup-1!"})
    login = redeem(authz, location(answer))
    assert login.id_claims["email"] == email
    found = mgmt.users.list_users_by_email(email=email)
    assert [u.user_id for u in found] == [login.id_claims["sub"]]
    assert found[0].identities[0].connection == DATABASE_CONNECTION


def test_public_client_code_flow_with_pkce(
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    spa_app: App,
    user: User,
) -> None:
    authz = authorize(spa_app)
    login = redeem(authz, log_in(Browser(), authz.url, user.email, user.password))
    assert login.id_claims["aud"] in (spa_app.client_id, [spa_app.client_id])
    assert login.id_claims["sub"] == user.user_id
