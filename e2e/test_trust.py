"""The outsider attacks of the trust reports, replayed against the real binary with real clients
(docs/SECURITY.md): an end user minting a Management API token, a dependency that leads to `/`,
a paging number that overflowed, an oversized /authorize, a repeated parameter."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from auth0.authentication import GetToken
from auth0.management import Auth0
from auth0.management.core.api_error import ApiError

from support import BOOTSTRAP_CLIENT_ID, BOOTSTRAP_CLIENT_SECRET, DATABASE_CONNECTION, HTTP_TIMEOUT, App, Server, User


def test_an_end_user_gets_only_current_user_scopes_for_the_management_api(
    gatehouse: Server, get_token: Callable[..., GetToken], web_app: App, user: User
) -> None:
    tokens = get_token(web_app.client_id, web_app.client_secret).login(
        username=user.email,
        password=user.password,
        realm=DATABASE_CONNECTION,
        scope="openid read:users delete:users create:clients read:current_user",
        audience=f"{gatehouse.issuer}api/v2/",
    )
    assert tokens["scope"] == "openid read:current_user"
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    users = requests.get(f"{gatehouse.issuer}api/v2/users", headers=headers, timeout=HTTP_TIMEOUT)
    assert users.status_code == 403, users.text
    me = requests.get(f"{gatehouse.issuer}api/v2/users/{user.user_id}", headers=headers, timeout=HTTP_TIMEOUT)
    assert me.status_code == 200, me.text
    assert me.json()["email"] == user.email


@pytest.mark.parametrize("spec", ["file:/", "git+https://example.com/evil.git", "someone/evil", "./evil.tgz"])
def test_tenants_cannot_declare_dependencies_outside_the_registry(mgmt: Auth0, spec: str) -> None:
    with pytest.raises(ApiError) as refused:
        mgmt.actions.create(
            name=f"evil-{abs(hash(spec))}",
            code="exports.onExecutePostLogin = async () => {};",
            supported_triggers=[{"id": "post-login", "version": "v3"}],
            dependencies=[{"name": "evil", "version": spec}],
        )
    assert refused.value.status_code == 400
    assert "registry" in str(refused.value.body)


def test_a_huge_page_number_is_a_400_and_the_server_keeps_serving(gatehouse: Server) -> None:
    token = mgmt_token(gatehouse)
    reply = requests.get(
        f"{gatehouse.issuer}api/v2/users",
        params={"page": "92233720368547759", "per_page": "100"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=HTTP_TIMEOUT,
    )
    assert reply.status_code == 400, reply.text
    assert reply.json()["statusCode"] == 400
    assert requests.get(f"{gatehouse.issuer}healthz", timeout=HTTP_TIMEOUT).status_code == 200


def test_oversized_authorize_parameters_are_refused_before_anything_is_stored(gatehouse: Server, web_app: App) -> None:
    reply = requests.get(
        f"{gatehouse.issuer}authorize",
        params={
            "response_type": "code",
            "client_id": web_app.client_id,
            "redirect_uri": web_app.callback,
            "scope": "openid",
            "state": "A" * 60_000,
        },
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )
    assert reply.status_code == 400
    assert "location" not in reply.headers


def test_a_repeated_token_parameter_is_invalid_request(gatehouse: Server) -> None:
    reply = requests.post(
        f"{gatehouse.issuer}oauth/token",
        data=[
            ("grant_type", "client_credentials"),
            ("client_id", BOOTSTRAP_CLIENT_ID),
            ("client_secret", BOOTSTRAP_CLIENT_SECRET),
            ("audience", f"{gatehouse.issuer}api/v2/"),
            ("scope", "read:users"),
            ("scope", "delete:users"),
        ],
        timeout=HTTP_TIMEOUT,
    )
    assert reply.status_code == 400
    assert reply.json()["error"] == "invalid_request"


def mgmt_token(gatehouse: Server) -> str:
    reply = requests.post(
        f"{gatehouse.issuer}oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": BOOTSTRAP_CLIENT_ID,
            "client_secret": BOOTSTRAP_CLIENT_SECRET,
            "audience": f"{gatehouse.issuer}api/v2/",
        },
        timeout=HTTP_TIMEOUT,
    )
    reply.raise_for_status()
    return str(reply.json()["access_token"])
