"""/oauth/token: client credentials with auth0-python, client authentication and RFC 6749
error responses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt as pyjwt
import pytest
import requests
from auth0.authentication import GetToken
from auth0.authentication.exceptions import Auth0Error

from support import (
    BOOTSTRAP_CLIENT_ID,
    BOOTSTRAP_CLIENT_SECRET,
    HTTP_TIMEOUT,
    Api,
    App,
    Server,
    verify_with_pyjwt,
)

MANAGEMENT_SCOPES_SAMPLE = [
    "read:users",
    "create:users",
    "update:users",
    "delete:users",
    "read:clients",
    "create:clients",
    "read:resource_servers",
    "create:resource_servers",
    "read:client_grants",
    "create:client_grants",
    "read:connections",
    "read:roles",
    "create:roles",
]


def test_client_credentials_for_the_management_api(
    gatehouse: Server,
    management_token: dict[str, Any],
    jwks_client: pyjwt.PyJWKClient,
) -> None:
    token = management_token
    assert token["token_type"].lower() == "bearer", token
    assert isinstance(token["expires_in"], int) and token["expires_in"] > 0, token
    assert "refresh_token" not in token and "id_token" not in token, token

    claims = verify_with_pyjwt(
        token["access_token"],
        jwks_client,
        issuer=gatehouse.issuer,
        audience=gatehouse.management_audience,
    )
    assert claims["gty"] == "client-credentials"
    assert claims["azp"] == BOOTSTRAP_CLIENT_ID
    assert claims["sub"] == f"{BOOTSTRAP_CLIENT_ID}@clients"
    assert claims["exp"] > claims["iat"]
    granted = claims["scope"].split()
    for scope in MANAGEMENT_SCOPES_SAMPLE:
        assert scope in granted, f"bootstrap client lacks {scope}: {granted}"
    # The token response's scope, when present, matches the token's.
    if "scope" in token:
        assert sorted(token["scope"].split()) == sorted(granted)


def test_client_credentials_scopes_are_limited_to_the_client_grant(
    get_token: Callable[..., GetToken],
    web_app: App,
    api: Api,
    gatehouse: Server,
    jwks_client: pyjwt.PyJWKClient,
) -> None:
    token = get_token(web_app.client_id, web_app.client_secret).client_credentials(
        audience=api.identifier
    )
    claims = verify_with_pyjwt(
        token["access_token"], jwks_client, issuer=gatehouse.issuer, audience=api.identifier
    )
    assert claims["scope"].split() == ["read:orders"], claims
    assert claims["gty"] == "client-credentials"
    assert claims["azp"] == web_app.client_id


def test_client_credentials_without_a_client_grant_is_denied(
    get_token: Callable[..., GetToken], web_app: App, gatehouse: Server
) -> None:
    # web_app has no grant for the Management API.
    with pytest.raises(Auth0Error) as e:
        get_token(web_app.client_id, web_app.client_secret).client_credentials(
            audience=gatehouse.management_audience
        )
    assert e.value.status_code == 403, e.value
    assert e.value.error_code == "access_denied", e.value


def test_client_credentials_for_an_unknown_audience_is_denied(
    get_token: Callable[..., GetToken],
) -> None:
    with pytest.raises(Auth0Error) as e:
        get_token(BOOTSTRAP_CLIENT_ID, BOOTSTRAP_CLIENT_SECRET).client_credentials(
            audience="https://no-such-api.e2e.test/"
        )
    assert e.value.status_code in (400, 403), e.value
    assert e.value.error_code in ("access_denied", "invalid_request", "invalid_target"), e.value


def test_wrong_client_secret_is_invalid_client_401(
    get_token: Callable[..., GetToken], gatehouse: Server
) -> None:
    with pytest.raises(Auth0Error) as e:
        get_token(BOOTSTRAP_CLIENT_ID, "not-the-secret").client_credentials(
            audience=gatehouse.management_audience
        )
    assert e.value.status_code == 401, e.value
    assert e.value.error_code == "invalid_client", e.value


def test_unknown_client_is_invalid_client_401(gatehouse: Server) -> None:
    r = requests.post(
        gatehouse.url("/oauth/token"),
        data={
            "grant_type": "client_credentials",
            "client_id": "no-such-client",
            "client_secret": "whatever",
            "audience": gatehouse.management_audience,
        },
        timeout=HTTP_TIMEOUT,
    )
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "invalid_client"


def test_client_secret_basic_is_accepted(gatehouse: Server, web_app: App, api: Api) -> None:
    # RFC 6749 section 2.3.1: the client may authenticate with HTTP Basic instead of the body.
    r = requests.post(
        gatehouse.url("/oauth/token"),
        data={"grant_type": "client_credentials", "audience": api.identifier},
        auth=(web_app.client_id, web_app.client_secret or ""),
        timeout=HTTP_TIMEOUT,
    )
    assert r.status_code == 200, r.text
    assert r.json()["access_token"]
    # RFC 6749 section 5.1: token responses must not be cached.
    assert "no-store" in r.headers.get("Cache-Control", "").lower(), r.headers


def test_unknown_grant_type_is_unsupported_grant_type_400(gatehouse: Server) -> None:
    r = requests.post(
        gatehouse.url("/oauth/token"),
        data={
            "grant_type": "urn:example:no-such-grant",
            "client_id": BOOTSTRAP_CLIENT_ID,
            "client_secret": BOOTSTRAP_CLIENT_SECRET,
        },
        timeout=HTTP_TIMEOUT,
    )
    assert r.status_code == 400, r.text
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    body = r.json()
    assert body["error"] == "unsupported_grant_type", body


def test_token_errors_are_json_even_for_a_missing_grant_type(gatehouse: Server) -> None:
    r = requests.post(
        gatehouse.url("/oauth/token"),
        data={"client_id": BOOTSTRAP_CLIENT_ID, "client_secret": BOOTSTRAP_CLIENT_SECRET},
        timeout=HTTP_TIMEOUT,
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"] in ("invalid_request", "unsupported_grant_type"), r.text
