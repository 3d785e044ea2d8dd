"""Sign-up through /dbconnections/signup and the password-realm grant, with auth0-python's
Authentication API classes (Database, GetToken)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt as pyjwt
import pytest
import requests
from auth0.authentication import Database, GetToken
from auth0.authentication.exceptions import Auth0Error
from auth0.management import Auth0

from support import (
    DATABASE_CONNECTION,
    HTTP_TIMEOUT,
    Api,
    App,
    Server,
    User,
    audiences,
    unique,
    verify_with_pyjwt,
)

SCOPE = "openid profile email offline_access"


@pytest.fixture
def database(gatehouse: Server, web_app: App) -> Database:
    return Database(gatehouse.domain, web_app.client_id, protocol="http")


def test_signup_returns_auth0_shape_and_creates_the_user(database: Database, mgmt: Auth0) -> None:
    email = f"{unique('signup')}@e2e.test"
    created = database.signup(
        email=email,
        password="Sign-Up-Passw0rd!",
        connection=DATABASE_CONNECTION,
        user_metadata={"source": "e2e"},
        given_name="Signe",
    )
    assert created["_id"], created
    assert created["email"] == email
    assert created["email_verified"] is False
    assert "password" not in created

    # Auth0 ids of database users are "auth0|" + the signup _id.
    user = mgmt.users.get(f"auth0|{created['_id']}")
    assert user.email == email
    assert user.user_metadata == {"source": "e2e"}
    assert user.given_name == "Signe"


def test_duplicate_signup_is_rejected(database: Database, user: User) -> None:
    with pytest.raises(Auth0Error) as e:
        database.signup(
            email=user.email, password="Sign-Up-Passw0rd!", connection=DATABASE_CONNECTION
        )
    assert e.value.status_code == 400, e.value
    assert e.value.error_code in ("invalid_signup", "user_exists"), e.value


def test_signup_to_unknown_connection_is_rejected(database: Database) -> None:
    with pytest.raises(Auth0Error) as e:
        database.signup(
            email=f"{unique('x')}@e2e.test", password="Sign-Up-Passw0rd!", connection="nope"
        )
    assert e.value.status_code == 400, e.value


@pytest.fixture
def signed_up(database: Database) -> User:
    email = f"{unique('realm')}@e2e.test"
    password = "Realm-Passw0rd!" + unique("")[-4:]
    created = database.signup(email=email, password=password, connection=DATABASE_CONNECTION)
    return User(user_id=f"auth0|{created['_id']}", email=email, password=password)


def test_password_realm_login_issues_access_id_and_refresh_tokens(
    get_token: Callable[..., GetToken],
    web_app: App,
    api: Api,
    signed_up: User,
    gatehouse: Server,
    jwks_client: pyjwt.PyJWKClient,
) -> None:
    tokens = get_token(web_app.client_id, web_app.client_secret).login(
        username=signed_up.email,
        password=signed_up.password,
        realm=DATABASE_CONNECTION,
        audience=api.identifier,
        scope=SCOPE,
    )
    assert tokens["token_type"].lower() == "bearer"
    assert tokens["expires_in"] > 0
    assert tokens["refresh_token"], tokens

    id_claims = verify_with_pyjwt(
        tokens["id_token"], jwks_client, issuer=gatehouse.issuer, audience=web_app.client_id
    )
    assert id_claims["sub"] == signed_up.user_id
    assert id_claims["email"] == signed_up.email
    assert id_claims["email_verified"] is False
    assert id_claims["aud"] == web_app.client_id or id_claims["aud"] == [web_app.client_id]

    access = verify_with_pyjwt(
        tokens["access_token"], jwks_client, issuer=gatehouse.issuer, audience=api.identifier
    )
    assert access["sub"] == signed_up.user_id
    assert access["azp"] == web_app.client_id
    # openid with an API audience: the token is also good for /userinfo.
    assert set(audiences(access)) == {api.identifier, f"{gatehouse.issuer}userinfo"}
    assert {"openid", "profile", "email", "offline_access"} <= set(access["scope"].split())
    assert "gty" not in access or access["gty"] != "client-credentials"

    info = requests.get(
        gatehouse.url("/userinfo"),
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=HTTP_TIMEOUT,
    )
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == signed_up.user_id
    assert info.json()["email"] == signed_up.email


def test_refresh_token_from_password_realm_works_with_auth0_python(
    get_token: Callable[..., GetToken],
    web_app: App,
    api: Api,
    signed_up: User,
    gatehouse: Server,
    jwks_client: pyjwt.PyJWKClient,
) -> None:
    client = get_token(web_app.client_id, web_app.client_secret)
    first = client.login(
        username=signed_up.email,
        password=signed_up.password,
        realm=DATABASE_CONNECTION,
        audience=api.identifier,
        scope=SCOPE,
    )
    # auth0-python sends scope="" on refresh, which means "the scopes already granted".
    refreshed = client.refresh_token(first["refresh_token"])
    access = verify_with_pyjwt(
        refreshed["access_token"], jwks_client, issuer=gatehouse.issuer, audience=api.identifier
    )
    assert access["sub"] == signed_up.user_id
    assert "openid" in access["scope"].split()
    if "id_token" in refreshed:
        id_claims = verify_with_pyjwt(
            refreshed["id_token"], jwks_client, issuer=gatehouse.issuer, audience=web_app.client_id
        )
        assert id_claims["sub"] == signed_up.user_id


def test_password_realm_without_offline_access_has_no_refresh_token(
    get_token: Callable[..., GetToken], web_app: App, api: Api, signed_up: User
) -> None:
    tokens = get_token(web_app.client_id, web_app.client_secret).login(
        username=signed_up.email,
        password=signed_up.password,
        realm=DATABASE_CONNECTION,
        audience=api.identifier,
        scope="openid email",
    )
    assert tokens["access_token"] and tokens["id_token"]
    assert "refresh_token" not in tokens, tokens


def test_wrong_password_is_invalid_grant(
    get_token: Callable[..., GetToken], web_app: App, api: Api, signed_up: User
) -> None:
    with pytest.raises(Auth0Error) as e:
        get_token(web_app.client_id, web_app.client_secret).login(
            username=signed_up.email,
            password="wrong-" + signed_up.password,
            realm=DATABASE_CONNECTION,
            audience=api.identifier,
            scope=SCOPE,
        )
    assert e.value.error_code == "invalid_grant", e.value
    assert e.value.status_code in (400, 403), e.value


def test_unknown_user_is_invalid_grant(
    get_token: Callable[..., GetToken], web_app: App, api: Api
) -> None:
    with pytest.raises(Auth0Error) as e:
        get_token(web_app.client_id, web_app.client_secret).login(
            username=f"{unique('ghost')}@e2e.test",
            password="Whatever-Passw0rd!",
            realm=DATABASE_CONNECTION,
            audience=api.identifier,
            scope=SCOPE,
        )
    assert e.value.error_code == "invalid_grant", e.value


def test_blocked_user_cannot_log_in(
    get_token: Callable[..., GetToken], web_app: App, api: Api, user: User, mgmt: Auth0
) -> None:
    mgmt.users.update(user.user_id, blocked=True)
    with pytest.raises(Auth0Error) as e:
        get_token(web_app.client_id, web_app.client_secret).login(
            username=user.email,
            password=user.password,
            realm=DATABASE_CONNECTION,
            audience=api.identifier,
            scope=SCOPE,
        )
    assert e.value.error_code in ("invalid_grant", "unauthorized"), e.value


def test_user_created_by_management_api_can_log_in(
    get_token: Callable[..., GetToken],
    web_app: App,
    api: Api,
    user: User,
    gatehouse: Server,
    jwks_client: pyjwt.PyJWKClient,
) -> None:
    tokens: dict[str, Any] = get_token(web_app.client_id, web_app.client_secret).login(
        username=user.email,
        password=user.password,
        realm=DATABASE_CONNECTION,
        audience=api.identifier,
        scope="openid email",
    )
    claims = verify_with_pyjwt(
        tokens["id_token"], jwks_client, issuer=gatehouse.issuer, audience=web_app.client_id
    )
    assert claims["sub"] == user.user_id
    assert claims["email_verified"] is True
