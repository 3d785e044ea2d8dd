"""Legacy Auth0 Hooks end to end (auth0-actions.md §4.1, §6.4): hooks and their secrets are
managed with auth0-python's unmodified `hooks` client, and run before the actions of a real
client-credentials exchange (auth0-python's GetToken) and a real sign-up (auth0-python's
Database).

Hooks are global to the one server the suite shares (one enabled hook per extensibility point),
so every hook here lets any other application through unchanged, and the `hooks` fixture
deletes the hooks a test created."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import jwt as pyjwt
import pytest
from auth0.authentication import Database
from auth0.authentication.exceptions import Auth0Error
from auth0.management import Auth0
from auth0.management.core.api_error import ApiError

from support import DATABASE_CONNECTION, App, Server, unique

NOOP = "module.exports = function (user, context, cb) {\n  cb();\n};"


@pytest.fixture
def hooks(mgmt: Auth0) -> Iterator[Callable[..., Any]]:
    """Creates hooks through auth0-python; deletes them afterwards."""
    created: list[str] = []

    def make(**fields: Any) -> Any:
        hook = mgmt.hooks.create(**fields)
        created.append(hook.id)
        return hook

    yield make
    for hook_id in created:
        try:
            mgmt.hooks.delete(hook_id)
        except ApiError:
            pass


def test_hooks_and_secrets_with_auth0_python(mgmt: Auth0, hooks: Callable[..., Any]) -> None:
    name = unique("hook").replace("_", "-")
    first = hooks(name=name, script=NOOP, trigger_id="post-change-password", enabled=False)
    assert (first.name, first.trigger_id, first.enabled, first.dependencies) == (name, "post-change-password", False, {})
    assert mgmt.hooks.get(first.id).script == NOOP
    updated = mgmt.hooks.update(first.id, name=f"{name}-a", enabled=True)
    assert (updated.name, updated.enabled) == (f"{name}-a", True)

    listed = [h.id for h in mgmt.hooks.list(trigger_id="post-change-password", per_page=50)]
    assert first.id in listed
    assert first.id in [h.id for h in mgmt.hooks.list(enabled=True, per_page=50)]

    # One enabled hook per extensibility point.
    with pytest.raises(ApiError) as conflict:
        hooks(name=f"{name}-b", script=NOOP, trigger_id="post-change-password")
    assert conflict.value.status_code == 409
    assert "Only one enabled hook per extensibility point" in str(conflict.value.body)

    mgmt.hooks.secrets.create(first.id, request={"SLACK_URL": "https://hooks.example/abc", "TOKEN": "t-1234"})
    assert mgmt.hooks.secrets.get(first.id) == {"SLACK_URL": "_VALUE_NOT_SHOWN_", "TOKEN": "_VALUE_NOT_SHOWN_"}
    mgmt.hooks.secrets.update(first.id, request={"TOKEN": "t-5678"})
    with pytest.raises(ApiError) as taken:
        mgmt.hooks.secrets.create(first.id, request={"TOKEN": "again"})
    assert taken.value.status_code == 409
    mgmt.hooks.secrets.delete(first.id, request=["SLACK_URL"])
    assert mgmt.hooks.secrets.get(first.id) == {"TOKEN": "_VALUE_NOT_SHOWN_"}

    mgmt.hooks.delete(first.id)
    with pytest.raises(ApiError) as missing:
        mgmt.hooks.get(first.id)
    assert missing.value.status_code == 404


def test_credentials_exchange_hook_shapes_an_auth0_python_token(
    mgmt: Auth0,
    hooks: Callable[..., Any],
    get_token: Callable[..., Any],
    jwks_client: pyjwt.PyJWKClient,
) -> None:
    """Auth0's documented client-credentials hook: a namespaced claim from a secret and an extra
    scope; the bound action runs after it. Another error class denies with its OAuth error."""
    name = unique("m2m-hook").replace("_", "-")
    api = mgmt.resource_servers.create(
        identifier=f"https://{name}.e2e.test/", name=name, scopes=[{"value": "read:x"}, {"value": "extra"}]
    )
    m2m = mgmt.clients.create(
        name=name,
        app_type="non_interactive",
        grant_types=["client_credentials"],
        token_endpoint_auth_method="client_secret_post",
        client_metadata={"plan": "gold"},
    )
    mgmt.client_grants.create(client_id=m2m.client_id, audience=api.identifier, scope=["read:x"])
    script = f"""module.exports = function (client, scope, audience, context, cb) {{
  if (client.id !== '{m2m.client_id}') return cb(null, {{ scope: scope }});
  if (client.metadata.plan === 'none') return cb(new InvalidRequestError('No plan, no token.'));
  var access_token = {{}};
  access_token['https://e2e.test/claim'] = context.webtask.secrets.CLAIM + ':' + client.metadata.plan;
  access_token.scope = scope;
  access_token.scope.push('extra');
  cb(null, access_token);
}};"""
    hook = hooks(name=name, script=script, trigger_id="credentials-exchange")
    mgmt.hooks.secrets.create(hook.id, request={"CLAIM": "from-secret"})

    token = get_token(m2m.client_id, m2m.client_secret).client_credentials(audience=api.identifier)
    key = jwks_client.get_signing_key_from_jwt(token["access_token"])
    claims = pyjwt.decode(token["access_token"], key.key, algorithms=["RS256"], audience=api.identifier)
    assert claims["https://e2e.test/claim"] == "from-secret:gold"
    assert claims["scope"] == "read:x extra"
    assert token["scope"] == "read:x extra"

    mgmt.clients.update(m2m.client_id, client_metadata={"plan": "none"})
    with pytest.raises(Auth0Error) as refused:
        get_token(m2m.client_id, m2m.client_secret).client_credentials(audience=api.identifier)
    assert refused.value.error_code == "invalid_request"
    assert refused.value.message == "No plan, no token."


def test_pre_user_registration_hook_decides_an_auth0_python_signup(
    mgmt: Auth0, hooks: Callable[..., Any], gatehouse: Server, web_app: App
) -> None:
    """The documented pre-user-registration hook: metadata on the created user; a refusal with
    PreUserRegistrationError shows its user message to the person signing up."""
    script = f"""module.exports = function (user, context, cb) {{
  if (!context.client || context.client.id !== '{web_app.client_id}') return cb(null, {{ user: {{}} }});
  if (user.email.endsWith('@closed.e2e.test')) {{
    return cb(new PreUserRegistrationError('closed domain: ' + user.email, 'Sign-ups from this domain are closed.'));
  }}
  cb(null, {{ user: {{ app_metadata: {{ plan: 'trial' }}, user_metadata: {{ via: 'hook', connection: context.connection.name }} }} }});
}};"""
    hooks(name=unique("signup-hook").replace("_", "-"), script=script, trigger_id="pre-user-registration")
    database = Database(gatehouse.domain, web_app.client_id, protocol="http")

    email = f"{unique('hooked')}@e2e.test"
    created = database.signup(email=email, password="Hooked-Passw0rd!", connection=DATABASE_CONNECTION)
    user = mgmt.users.get(f"auth0|{created['_id']}")
    assert user.app_metadata == {"plan": "trial"}
    assert user.user_metadata == {"via": "hook", "connection": DATABASE_CONNECTION}

    with pytest.raises(Auth0Error) as refused:
        database.signup(
            email=f"{unique('no')}@closed.e2e.test", password="Hooked-Passw0rd!", connection=DATABASE_CONNECTION
        )
    assert refused.value.status_code == 400
    assert refused.value.message == "Sign-ups from this domain are closed."
