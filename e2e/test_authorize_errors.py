"""How /authorize refuses bad requests: an error redirect when the redirect_uri can be trusted,
an HTML error page (never a redirect) when it cannot."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from support import App, Browser, query_params, without_query


def authorize_url(discovery: dict[str, Any], **params: str) -> str:
    return f"{discovery['authorization_endpoint']}?{urlencode(params)}"


def assert_error_page(resp: requests.Response, status: int = 400) -> None:
    assert resp.status_code == status, (resp.status_code, resp.headers, resp.text[:1000])
    assert "Location" not in resp.headers, f"must not redirect: {resp.headers['Location']}"
    assert "text/html" in resp.headers.get("Content-Type", ""), resp.headers


def test_public_client_without_pkce_is_invalid_request(
    discovery: dict[str, Any], spa_app: App
) -> None:
    resp = Browser().get(
        authorize_url(
            discovery,
            client_id=spa_app.client_id,
            response_type="code",
            redirect_uri=spa_app.callback,
            scope="openid",
            state="spa-state-1",
        )
    )
    if resp.status_code in (302, 303):
        target = resp.headers["Location"]
        assert without_query(target) == spa_app.callback, target
        params = query_params(target)
        assert params.get("error") == "invalid_request", params
        assert params.get("state") == "spa-state-1", params
        assert "code" not in params
    else:
        assert resp.status_code == 400, (resp.status_code, resp.text[:1000])
        assert "invalid_request" in resp.text


def test_redirect_uri_not_registered_shows_an_error_page(
    discovery: dict[str, Any], web_app: App
) -> None:
    resp = Browser().get(
        authorize_url(
            discovery,
            client_id=web_app.client_id,
            response_type="code",
            redirect_uri="https://attacker.e2e.test/callback",
            scope="openid",
            state="x",
        )
    )
    assert_error_page(resp)


@pytest.mark.parametrize(
    "variant",
    [
        "{cb}/extra",  # path suffix
        "{cb}?x=1",  # extra query
        "{cb_http}",  # scheme downgrade
    ],
)
def test_redirect_uri_must_match_exactly(
    discovery: dict[str, Any], web_app: App, variant: str
) -> None:
    cb = web_app.callback
    cb_http = cb.replace("https://", "http://", 1)
    resp = Browser().get(
        authorize_url(
            discovery,
            client_id=web_app.client_id,
            response_type="code",
            redirect_uri=variant.format(cb=cb, cb_http=cb_http),
            scope="openid",
            state="x",
        )
    )
    assert_error_page(resp)


def test_unknown_client_shows_an_error_page(discovery: dict[str, Any], web_app: App) -> None:
    resp = Browser().get(
        authorize_url(
            discovery,
            client_id="no-such-client",
            response_type="code",
            redirect_uri=web_app.callback,
            scope="openid",
            state="x",
        )
    )
    assert_error_page(resp)


def test_unsupported_response_type_redirects_with_error(
    discovery: dict[str, Any], web_app: App
) -> None:
    resp = Browser().get(
        authorize_url(
            discovery,
            client_id=web_app.client_id,
            response_type="bogus",
            redirect_uri=web_app.callback,
            scope="openid",
            state="rt-state",
        )
    )
    if resp.status_code in (302, 303):
        params = query_params(resp.headers["Location"])
        assert params.get("error") == "unsupported_response_type", params
        assert params.get("state") == "rt-state", params
    else:
        assert resp.status_code == 400, resp.text[:1000]
