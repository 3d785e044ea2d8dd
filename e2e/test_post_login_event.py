"""The post-login event real Action code reads without guards (auth0-actions.md §2.1, §2.2;
issue 17, "The event real code expects"): one action reads each documented path and puts what it
found in a claim, through the hosted login with Authlib and through the password-realm grant
with auth0-python. Also the default Gravatar picture Auth0 gives database users, in the user's
JSON, the event and the ID token's `picture` claim (profile scope)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import jwt as pyjwt
from auth0.management import Auth0

from support import ActionSpec, Api, App, Authorization, Login, Server, User
from test_post_login import NS, Bind, code_flow, password_login, post_login, verified

READER = post_login(
    """
  api.idToken.setCustomClaim(NS + 'event', {
    geo: typeof event.request.geoip, country: event.request.geoip.countryCode ?? null,
    query: typeof event.request.query, x: event.request.query.x ?? null,
    acr: event.transaction.acr_values.length, ui: event.transaction.ui_locales.length,
    prompt: event.transaction.prompt.length, locale: event.transaction.locale,
    picture: event.user.picture, method: event.authentication.methods[0].name,
    logins: event.stats.logins_count, strategy: event.connection.strategy,
    tenant: typeof event.tenant.id, protocol: event.transaction.protocol,
  });
"""
)


def gravatar(email: str, initials: str) -> str:
    """Auth0's default picture, computed here independently of the server."""
    digest = hashlib.md5(email.strip().lower().encode()).hexdigest()
    fallback = quote(f"https://cdn.auth0.com/avatars/{initials}.png", safe="")
    return f"https://s.gravatar.com/avatar/{digest}?s=480&r=pg&d={fallback}"


def test_every_documented_path_is_there_in_the_code_flow_and_password_realm(
    bind_actions: Bind,
    make_web_app: Callable[..., App],
    make_user: Callable[..., User],
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    gatehouse: Server,
    api: Api,
    mgmt: Auth0,
    jwks_client: pyjwt.PyJWKClient,
) -> None:
    bind_actions("post-login", ActionSpec(code=READER, name="read-event"))
    app = make_web_app()
    user = make_user(email_verified=True, name="Ada Lovelace")
    picture = gravatar(user.email, "al")
    assert mgmt.users.get(user.user_id).picture == picture

    login = code_flow(authorize, redeem, app, user, ui_locales="de-CH de", x="1")
    event: dict[str, Any] = login.id_claims[NS + "event"]
    assert login.id_claims["picture"] == picture
    assert event == {
        "geo": "object", "country": None, "query": "object", "x": "1", "acr": 0, "ui": 2,
        "prompt": 0, "locale": "de-CH", "picture": picture, "method": "pwd", "logins": 1,
        "strategy": "auth0", "tenant": "string", "protocol": "oidc-basic-profile",
    }, event

    tokens = password_login(gatehouse, app, user, audience=api.identifier, scope="openid profile")
    id_claims, _ = verified(tokens, jwks_client, gatehouse, app, api)
    assert id_claims["picture"] == picture
    assert id_claims[NS + "event"] == {
        "geo": "object", "country": None, "query": "object", "x": None, "acr": 0, "ui": 0,
        "prompt": 0, "locale": "en", "picture": picture, "method": "pwd", "logins": 2,
        "strategy": "auth0", "tenant": "string", "protocol": "oauth2-password",
    }, id_claims


def test_an_explicit_picture_is_kept(make_user: Callable[..., User], mgmt: Auth0) -> None:
    user = make_user(picture="https://img.e2e.test/me.png")
    assert mgmt.users.get(user.user_id).picture == "https://img.e2e.test/me.png"
