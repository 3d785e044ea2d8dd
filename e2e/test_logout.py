"""Ending the SSO session: Auth0's /v2/logout and OpenID Connect RP-initiated logout
(/oidc/logout), both honouring the application's allowed logout URLs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from support import (
    App,
    Authorization,
    Browser,
    Login,
    Server,
    User,
    location,
    log_in,
    open_login_page,
    query_params,
    without_query,
)


def logged_in_browser(
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    app: App,
    user: User,
) -> tuple[Browser, Login]:
    browser = Browser()
    authz = authorize(app)
    login = redeem(authz, log_in(browser, authz.url, user.email, user.password))
    # Sanity check: the session is there (a second /authorize does not ask for credentials).
    probe = authorize(app)
    assert without_query(location(browser.get(probe.url))) == app.callback
    return browser, login


def assert_session_is_gone(
    browser: Browser,
    authorize: Callable[..., Authorization],
    app: App,
    cookies_before_logout: list[tuple[str, str, str, str]],
) -> None:
    # The login page is shown again ...
    open_login_page(browser, authorize(app).url)
    # ... and silent authentication fails.
    silent = authorize(app, prompt="none")
    params = query_params(location(browser.get(silent.url)))
    assert params.get("error") == "login_required", params
    # The session is ended on the server, not only forgotten by this browser: replaying the
    # cookies it had before logging out does not bring it back.
    replay = Browser()
    for name, value, domain, path in cookies_before_logout:
        replay.session.cookies.set(name, value, domain=domain, path=path)
    silent = authorize(app, prompt="none")
    params = query_params(location(replay.get(silent.url)))
    assert params.get("error") == "login_required", f"old session cookie still works: {params}"


def cookie_snapshot(browser: Browser) -> list[tuple[str, str, str, str]]:
    cookies = [(c.name, c.value or "", c.domain, c.path) for c in browser.session.cookies]
    assert cookies, "the login set no cookie"
    return cookies


def test_v2_logout_redirects_to_allowed_url_and_ends_the_session(
    gatehouse: Server,
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    web_app: App,
    user: User,
) -> None:
    browser, _ = logged_in_browser(authorize, redeem, web_app, user)
    cookies = cookie_snapshot(browser)
    query = urlencode({"returnTo": web_app.logout_url, "client_id": web_app.client_id})
    resp = browser.get(gatehouse.url(f"/v2/logout?{query}"))
    assert location(resp) == web_app.logout_url
    assert_session_is_gone(browser, authorize, web_app, cookies)


def test_v2_logout_refuses_a_return_url_that_is_not_allowed(
    gatehouse: Server,
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    web_app: App,
    user: User,
) -> None:
    browser, _ = logged_in_browser(authorize, redeem, web_app, user)
    query = urlencode(
        {"returnTo": "https://attacker.e2e.test/phish", "client_id": web_app.client_id}
    )
    resp = browser.get(gatehouse.url(f"/v2/logout?{query}"))
    assert resp.status_code == 400, (resp.status_code, resp.headers)
    assert "Location" not in resp.headers, resp.headers["Location"]
    assert "text/html" in resp.headers.get("Content-Type", ""), resp.headers


def test_oidc_logout_redirects_with_state_and_ends_the_session(
    gatehouse: Server,
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    web_app: App,
    user: User,
) -> None:
    browser, login = logged_in_browser(authorize, redeem, web_app, user)
    cookies = cookie_snapshot(browser)
    query = urlencode(
        {
            "post_logout_redirect_uri": web_app.logout_url,
            "id_token_hint": login.token["id_token"],
            "state": "bye-123",
        }
    )
    resp = browser.get(gatehouse.url(f"/oidc/logout?{query}"))
    target = location(resp)
    assert without_query(target) == web_app.logout_url, target
    assert query_params(target).get("state") == "bye-123", target
    assert_session_is_gone(browser, authorize, web_app, cookies)


def test_oidc_logout_refuses_a_redirect_that_is_not_allowed(
    gatehouse: Server,
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    web_app: App,
    user: User,
) -> None:
    browser, login = logged_in_browser(authorize, redeem, web_app, user)
    query = urlencode(
        {
            "post_logout_redirect_uri": "https://attacker.e2e.test/",
            "id_token_hint": login.token["id_token"],
        }
    )
    resp = browser.get(gatehouse.url(f"/oidc/logout?{query}"))
    assert resp.status_code == 400, (resp.status_code, resp.headers)
    assert "Location" not in resp.headers, resp.headers["Location"]


def test_discovery_announces_the_end_session_endpoint(
    discovery: dict[str, Any], gatehouse: Server
) -> None:
    assert discovery.get("end_session_endpoint") == gatehouse.url("/oidc/logout"), discovery
