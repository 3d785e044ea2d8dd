"""Legacy Auth0 Rules end to end (auth0-actions.md §4.1, §6): rules and their configuration are
managed with auth0-python's unmodified `rules` and `rules_configs` clients, and run before the
post-login actions of real logins.

Rules are global to the one server the suite shares, so every rule here returns at once for any
application but the test's own (`context.clientID`), and the `rules` fixture deletes the rules a
test created and the configuration keys it set."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt as pyjwt
import pytest
from auth0.authentication.exceptions import Auth0Error
from auth0.management import Auth0
from auth0.management.core.api_error import ApiError

from support import Api, App, Authorization, Login, Server, User, collect, unique
from test_post_login import code_flow, password_login, verified

#: The realistic rules the Swift tests and the benchmark use too.
FIXTURES = Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "rules"
NS = "https://gatehouse.example/"


def fixture(name: str) -> str:
    return (FIXTURES / f"{name}.js").read_text()

NOOP = "function (user, context, callback) {\n  callback(null, user, context);\n}"


@pytest.fixture
def rules(mgmt: Auth0) -> Iterator[Callable[..., Any]]:
    """Creates rules through auth0-python; deletes them (and the test's config keys) afterwards."""
    created: list[str] = []

    def make(**fields: Any) -> Any:
        rule = mgmt.rules.create(**fields)
        created.append(rule.id)
        return rule

    yield make
    for rule_id in created:
        try:
            mgmt.rules.delete(rule_id)
        except ApiError:
            pass


@pytest.fixture
def rules_config(mgmt: Auth0) -> Iterator[Callable[[str, str], None]]:
    """Sets rules-configs values through auth0-python; deletes them afterwards."""
    keys: list[str] = []

    def put(key: str, value: str) -> None:
        mgmt.rules_configs.set(key, value=value)
        keys.append(key)

    yield put
    for key in keys:
        try:
            mgmt.rules_configs.delete(key)
        except ApiError:
            pass


def test_rules_and_rules_configs_with_auth0_python(mgmt: Auth0, rules: Callable[..., Any]) -> None:
    name = unique("rule").replace("_", "-")
    first = rules(name=name, script=NOOP, enabled=False, order=9001)
    assert first.id.startswith("rul_")
    assert (first.name, first.order, first.enabled, first.stage) == (name, 9001, False, "login_success")
    second = rules(name=f"{name}-b", script=NOOP, enabled=False)
    assert second.order > 9001

    assert mgmt.rules.get(first.id).script == NOOP
    updated = mgmt.rules.update(first.id, order=9000, name=f"{name}-a")
    assert (updated.order, updated.name) == (9000, f"{name}-a")

    listed = [r for r in collect(mgmt.rules.list(per_page=50)) if r.id in (first.id, second.id)]
    assert [r.id for r in listed] == [first.id, second.id]
    disabled = [r.id for r in collect(mgmt.rules.list(enabled=False))]
    assert first.id in disabled and second.id in disabled
    assert first.id not in [r.id for r in collect(mgmt.rules.list(enabled=True))]

    with pytest.raises(ApiError) as conflict:
        mgmt.rules.create(name=f"{name}-c", script=NOOP, order=9000, enabled=False)
    assert conflict.value.status_code == 409

    key = unique("E2E_KEY")
    set_reply = mgmt.rules_configs.set(key, value="s3cr3t-e2e-value")
    assert (set_reply.key, set_reply.value) == (key, "s3cr3t-e2e-value")
    keys = [c.key for c in mgmt.rules_configs.list()]
    assert key in keys
    assert all(getattr(c, "value", None) is None for c in mgmt.rules_configs.list())
    mgmt.rules_configs.delete(key)
    assert key not in [c.key for c in mgmt.rules_configs.list()]

    mgmt.rules.delete(second.id)
    with pytest.raises(ApiError) as missing:
        mgmt.rules.get(second.id)
    assert missing.value.status_code == 404


def test_realistic_rules_shape_authlib_and_auth0_python_logins(
    mgmt: Auth0,
    rules: Callable[..., Any],
    rules_config: Callable[[str, str], None],
    make_web_app: Callable[..., App],
    make_user: Callable[..., User],
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    gatehouse: Server,
    api: Api,
    jwks_client: pyjwt.PyJWKClient,
) -> None:
    """Four unmodified rules (a default role, roles into claims, an e-mail domain allow-list read
    from `configuration`, persisted login tracking) decide an Authlib code-flow login and an
    auth0-python password-realm login; a user outside the allowed domains is refused with the
    rule's message."""
    app = make_web_app()
    rules_config("RULES_CLIENTS", app.client_id)
    rules_config("ALLOWED_DOMAINS", "e2e.test")
    base = 9100
    for offset, name in enumerate(["track-logins", "email-domain-allowlist", "default-role", "roles-to-tokens"]):
        rules(name=unique(name).replace("_", "-"), script=fixture(name), order=base + offset)
    user = make_user(email_verified=True)

    login = code_flow(authorize, redeem, app, user)  # ID token verified by Authlib
    assert login.id_claims[NS + "roles"] == ["reader"], login.id_claims
    assert login.id_claims[NS + "logins"] == 1

    tokens = password_login(gatehouse, app, user, audience=api.identifier)
    id_claims, access = verified(tokens, jwks_client, gatehouse, app, api)
    assert id_claims[NS + "roles"] == access[NS + "roles"] == ["reader"]
    assert id_claims[NS + "logins"] == 2
    stored = mgmt.users.get(user.user_id)
    assert stored.app_metadata["rule_logins"] == 2, stored.app_metadata
    assert "roles" not in stored.app_metadata, "the default role is for the login only"

    outsider = make_user(email_verified=True, email=f"{unique('out')}@elsewhere.example")
    with pytest.raises(Auth0Error) as refused:
        password_login(gatehouse, app, outsider, audience=api.identifier)
    assert refused.value.error_code == "access_denied"
    assert refused.value.message == "Access denied: elsewhere.example is not an allowed domain."
