"""The Management API (/api/v2) driven by auth0-python's generated Management client.

auth0-python 6.x reports Management API errors as `auth0.management.core.api_error.ApiError`
subclasses (NotFoundError, ConflictError, ...) carrying `status_code` and the decoded `body`;
the body must have Auth0's shape `{statusCode, error, message, errorCode}`."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import jwt as pyjwt
import pytest
import requests
from auth0.authentication import GetToken
from auth0.management import Auth0
from auth0.management.core.api_error import ApiError
from cryptography.hazmat.primitives.asymmetric import rsa

from support import (
    DATABASE_CONNECTION,
    HTTP_TIMEOUT,
    Api,
    App,
    Server,
    User,
    collect,
    unique,
)


def assert_api_error(exc: ApiError, status: int, error_code: str | None = None) -> dict[str, Any]:
    assert exc.status_code == status, f"expected {status}, got {exc.status_code}: {exc.body}"
    body = exc.body
    assert isinstance(body, dict), f"error body is not a JSON object: {body!r}"
    assert body.get("statusCode") == status, body
    assert isinstance(body.get("error"), str) and body["error"], body
    assert isinstance(body.get("message"), str) and body["message"], body
    if error_code is not None:
        assert body.get("errorCode") == error_code, body
    return body


# --- resource servers, clients, client grants --------------------------------------------------


def test_resource_server_is_created_and_read_back(mgmt: Auth0, api: Api) -> None:
    created = api.raw
    assert created.id and created.identifier == api.identifier
    assert sorted(s.value for s in created.scopes or []) == sorted(api.scopes)
    fetched = mgmt.resource_servers.get(api.id)
    assert fetched.identifier == api.identifier
    assert fetched.name == created.name
    assert {(s.value, s.description) for s in fetched.scopes or []} == {
        ("read:orders", "Read orders"),
        ("write:orders", "Create and change orders"),
    }


def test_duplicate_resource_server_identifier_is_409(mgmt: Auth0, api: Api) -> None:
    with pytest.raises(ApiError) as e:
        mgmt.resource_servers.create(identifier=api.identifier, name=unique("dup"))
    assert_api_error(e.value, 409)


def test_management_api_resource_server_exists(mgmt: Auth0, gatehouse: Server) -> None:
    identifiers = [rs.identifier for rs in collect(mgmt.resource_servers.list(per_page=100))]
    assert gatehouse.management_audience in identifiers, identifiers


def test_client_is_created_with_auth0_fields(mgmt: Auth0, web_app: App) -> None:
    created = web_app.raw
    assert created.client_id and created.client_secret
    assert created.app_type == "regular_web"
    assert created.callbacks == [web_app.callback]
    assert created.allowed_logout_urls == [web_app.logout_url]
    assert created.token_endpoint_auth_method == "client_secret_post"
    assert set(created.grant_types or []) >= {"authorization_code", "refresh_token"}

    fetched = mgmt.clients.get(web_app.client_id)
    assert fetched.name == created.name
    assert fetched.callbacks == [web_app.callback]
    assert fetched.app_type == "regular_web"


def test_public_client_has_no_secret(spa_app: App) -> None:
    assert spa_app.raw.token_endpoint_auth_method == "none"
    assert spa_app.raw.app_type == "spa"


def test_client_grant_is_created_and_listed(mgmt: Auth0, web_app: App, api: Api) -> None:
    grants = collect(mgmt.client_grants.list(client_id=web_app.client_id))
    matching = [g for g in grants if g.audience == api.identifier]
    assert len(matching) == 1, grants
    assert matching[0].client_id == web_app.client_id
    assert matching[0].scope == ["read:orders"]
    assert matching[0].id


def test_client_grant_for_unknown_audience_is_rejected(mgmt: Auth0, web_app: App) -> None:
    with pytest.raises(ApiError) as e:
        mgmt.client_grants.create(
            client_id=web_app.client_id, audience="https://nowhere.e2e.test/", scope=[]
        )
    assert e.value.status_code in (400, 404), e.value.body


# --- users -------------------------------------------------------------------------------------


def test_user_is_created_and_read_back(mgmt: Auth0) -> None:
    email = f"{unique('create')}@e2e.test"
    created = mgmt.users.create(
        connection=DATABASE_CONNECTION,
        email=email,
        password="Str0ng-Passw0rd!",
        email_verified=True,
        given_name="Ada",
        family_name="Lovelace",
        user_metadata={"theme": "dark"},
        app_metadata={"plan": "free"},
    )
    assert created.user_id and created.user_id.startswith("auth0|"), created.user_id
    assert created.email == email
    assert created.email_verified is True
    assert created.given_name == "Ada"
    assert created.user_metadata == {"theme": "dark"}
    assert created.app_metadata == {"plan": "free"}
    assert isinstance(created.created_at, dt.datetime)
    assert created.identities and created.identities[0].connection == DATABASE_CONNECTION
    assert created.identities[0].provider == "auth0"
    assert created.identities[0].is_social is False
    assert "password" not in created.model_dump(), "the password must never be returned"

    fetched = mgmt.users.get(created.user_id)
    assert fetched.user_id == created.user_id
    assert fetched.email == email
    assert fetched.user_metadata == {"theme": "dark"}


def test_emails_are_stored_in_lower_case_and_found_by_email(mgmt: Auth0) -> None:
    local = unique("MiXeD")
    created = mgmt.users.create(
        connection=DATABASE_CONNECTION, email=f"{local}@E2E.Test", password="Str0ng-Passw0rd!"
    )
    assert created.email == f"{local}@e2e.test".lower()
    found = mgmt.users.list_users_by_email(email=created.email)
    assert [u.user_id for u in found] == [created.user_id]
    assert mgmt.users.list_users_by_email(email=f"nobody-{local}@e2e.test".lower()) == []


def test_duplicate_email_in_the_same_connection_is_409(mgmt: Auth0, user: User) -> None:
    with pytest.raises(ApiError) as e:
        mgmt.users.create(
            connection=DATABASE_CONNECTION, email=user.email, password="An0ther-Passw0rd!"
        )
    assert_api_error(e.value, 409)


def test_invalid_body_is_400(mgmt: Auth0) -> None:
    with pytest.raises(ApiError) as e:
        mgmt.users.create(
            connection=DATABASE_CONNECTION, email="not-an-email", password="Str0ng-Passw0rd!"
        )
    assert_api_error(e.value, 400, "invalid_body")


def test_unknown_connection_is_400(mgmt: Auth0) -> None:
    with pytest.raises(ApiError) as e:
        mgmt.users.create(
            connection="no-such-connection",
            email=f"{unique('u')}@e2e.test",
            password="Str0ng-Passw0rd!",
        )
    assert_api_error(e.value, 400)


def test_unknown_user_is_404(mgmt: Auth0) -> None:
    with pytest.raises(ApiError) as e:
        mgmt.users.get("auth0|does-not-exist")
    assert_api_error(e.value, 404)


def test_metadata_patch_merges_top_level_keys_and_null_deletes(mgmt: Auth0) -> None:
    created = mgmt.users.create(
        connection=DATABASE_CONNECTION,
        email=f"{unique('meta')}@e2e.test",
        password="Str0ng-Passw0rd!",
        user_metadata={"theme": "dark", "lang": "en", "prefs": {"a": 1, "b": 2}},
        app_metadata={"plan": "free", "flags": {"beta": True}},
    )
    updated = mgmt.users.update(
        created.user_id,
        user_metadata={"lang": None, "tz": "UTC", "prefs": {"c": 3}},
        app_metadata={"plan": "pro"},
    )
    # Top-level keys are merged, null deletes a key, a nested object is replaced as a whole.
    assert updated.user_metadata == {"theme": "dark", "tz": "UTC", "prefs": {"c": 3}}
    assert updated.app_metadata == {"plan": "pro", "flags": {"beta": True}}

    fetched = mgmt.users.get(created.user_id)
    assert fetched.user_metadata == {"theme": "dark", "tz": "UTC", "prefs": {"c": 3}}
    assert fetched.app_metadata == {"plan": "pro", "flags": {"beta": True}}

    # Other root attributes are updated in place and untouched ones are kept.
    renamed = mgmt.users.update(created.user_id, name="Grace Hopper")
    assert renamed.name == "Grace Hopper"
    assert renamed.user_metadata == {"theme": "dark", "tz": "UTC", "prefs": {"c": 3}}


def test_list_users_paginates_with_totals(mgmt: Auth0, make_user: Callable[..., User]) -> None:
    mine = {make_user().user_id for _ in range(3)}

    first = mgmt.users.list(page=0, per_page=2, include_totals=True)
    page0 = first.response
    assert page0.start == 0 and page0.limit == 2, page0
    assert page0.length == len(page0.users or []) == 2, page0
    total = int(page0.total or 0)
    assert total >= 3, page0

    seen: list[str] = []
    page = 0
    while True:
        resp = mgmt.users.list(page=page, per_page=2, include_totals=True).response
        users = resp.users or []
        if not users:
            break
        assert resp.start == page * 2, resp
        assert resp.length == len(users), resp
        assert resp.total == total, "total changed between pages"
        seen.extend(u.user_id for u in users)
        page += 1
        assert page < 1000, "pagination never ends"
    assert len(seen) == len(set(seen)) == total, "pages overlap or miss users"
    assert mine <= set(seen)


def test_deleted_user_is_gone(mgmt: Auth0, make_user: Callable[..., User]) -> None:
    doomed = make_user()
    assert mgmt.users.delete(doomed.user_id) is None
    with pytest.raises(ApiError) as e:
        mgmt.users.get(doomed.user_id)
    assert_api_error(e.value, 404)
    assert mgmt.users.list_users_by_email(email=doomed.email) == []
    # The email can be used again once the user is gone.
    again = mgmt.users.create(
        connection=DATABASE_CONNECTION, email=doomed.email, password="Str0ng-Passw0rd!"
    )
    assert again.user_id != doomed.user_id


# --- roles and connections ---------------------------------------------------------------------


def test_roles_are_created_and_assigned_to_users(mgmt: Auth0, user: User) -> None:
    name = unique("role")
    role = mgmt.roles.create(name=name, description="Can read orders")
    assert role.id and role.name == name and role.description == "Can read orders"

    other = mgmt.roles.create(name=unique("role"), description="Unused")
    assert mgmt.users.roles.assign(user.user_id, roles=[role.id]) is None

    assigned = collect(mgmt.users.roles.list(user.user_id))
    assert [(r.id, r.name) for r in assigned] == [(role.id, name)]
    assert other.id not in {r.id for r in assigned}

    fetched = mgmt.roles.get(role.id)
    assert fetched.name == name


def test_assigning_an_unknown_role_fails(mgmt: Auth0, user: User) -> None:
    with pytest.raises(ApiError) as e:
        mgmt.users.roles.assign(user.user_id, roles=["rol_doesnotexist000"])
    assert e.value.status_code in (400, 404), e.value.body


def test_connections_list_has_the_database_connection(mgmt: Auth0) -> None:
    connections = collect(mgmt.connections.list())
    by_name = {c.name: c for c in connections}
    assert DATABASE_CONNECTION in by_name, list(by_name)
    assert by_name[DATABASE_CONNECTION].strategy == "auth0"
    assert by_name[DATABASE_CONNECTION].id


# --- authentication and authorization of callers -----------------------------------------------


def test_no_token_is_401(gatehouse: Server) -> None:
    r = requests.get(gatehouse.url("/api/v2/users"), timeout=HTTP_TIMEOUT)
    assert r.status_code == 401, r.text
    body = r.json()
    assert body["statusCode"] == 401 and body["error"] and body["message"], body


def test_garbage_token_is_401(management_client: Callable[[str], Auth0]) -> None:
    with pytest.raises(ApiError) as e:
        management_client("not.a.jwt").users.get("auth0|anything")
    assert_api_error(e.value, 401)


def test_token_signed_by_someone_else_is_401(
    gatehouse: Server, management_client: Callable[[str], Auth0], jwks: dict[str, Any]
) -> None:
    # Right issuer, audience, scopes and even a kid the server publishes, but the wrong key.
    forger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    forged = pyjwt.encode(
        {
            "iss": gatehouse.issuer,
            "sub": "attacker@clients",
            "aud": gatehouse.management_audience,
            "iat": now,
            "exp": now + 600,
            "scope": "read:users create:users delete:users",
            "gty": "client-credentials",
        },
        forger_key,
        algorithm="RS256",
        headers={"kid": jwks["keys"][0]["kid"]},
    )
    with pytest.raises(ApiError) as e:
        management_client(forged).users.list(page=0, per_page=1)
    assert_api_error(e.value, 401)


def test_token_for_another_audience_is_401(
    get_token: Callable[..., GetToken],
    management_client: Callable[[str], Auth0],
    web_app: App,
    api: Api,
) -> None:
    other = get_token(web_app.client_id, web_app.client_secret).client_credentials(
        audience=api.identifier
    )
    with pytest.raises(ApiError) as e:
        management_client(other["access_token"]).users.list(page=0, per_page=1)
    assert_api_error(e.value, 401)


@pytest.fixture(scope="module")
def read_only_token(mgmt: Auth0, get_token: Callable[..., GetToken], gatehouse: Server) -> str:
    """A machine-to-machine client granted only read:users on the Management API."""
    m2m = mgmt.clients.create(
        name=unique("read-only-m2m"),
        app_type="non_interactive",
        grant_types=["client_credentials"],
        token_endpoint_auth_method="client_secret_post",
    )
    mgmt.client_grants.create(
        client_id=m2m.client_id, audience=gatehouse.management_audience, scope=["read:users"]
    )
    token = get_token(m2m.client_id, m2m.client_secret).client_credentials(
        audience=gatehouse.management_audience
    )
    assert token["access_token"]
    return token["access_token"]


def test_read_only_token_can_read_users(
    read_only_token: str, management_client: Callable[[str], Auth0], user: User
) -> None:
    client = management_client(read_only_token)
    assert client.users.get(user.user_id).email == user.email


def test_missing_scope_is_403(
    read_only_token: str, management_client: Callable[[str], Auth0]
) -> None:
    client = management_client(read_only_token)
    with pytest.raises(ApiError) as e:
        client.users.create(
            connection=DATABASE_CONNECTION,
            email=f"{unique('nope')}@e2e.test",
            password="Str0ng-Passw0rd!",
        )
    body = assert_api_error(e.value, 403, "insufficient_scope")
    assert "create:users" in body["message"], body
    with pytest.raises(ApiError) as e:
        client.clients.create(name=unique("nope"))
    assert_api_error(e.value, 403, "insufficient_scope")


# --- the API's own description -----------------------------------------------------------------


def test_openapi_document_is_served(gatehouse: Server) -> None:
    r = requests.get(gatehouse.url("/api/v2/openapi.json"), timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text[:500]
    doc = r.json()
    assert str(doc.get("openapi", "")).startswith("3."), list(doc)
    paths = doc.get("paths", {})
    for path in ("/users", "/users/{id}", "/clients", "/resource-servers", "/client-grants"):
        assert path in paths or f"/api/v2{path}" in paths, sorted(paths)[:50]
