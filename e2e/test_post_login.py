"""The post-login Actions flow end to end (auth0-actions.md §2.2, §3.1, §3.9, §4.2): actions are
created, built, deployed and bound with auth0-python's Management client; users log in through
the hosted login page with Authlib as the relying party, and through the password, password-realm
and refresh token grants with auth0-python's GetToken; the tokens are verified against the JWKS
(Authlib for ID tokens of the code flow, PyJWT otherwise).

Bindings are global to the one server the suite shares: every test binds through the
`bind_actions` fixture, which empties the post-login and credentials-exchange bindings at
teardown. Actions that deny or fail do so only for the test's own application, so a cleanup
failure cannot break other tests' logins."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt as pyjwt
import pytest
from auth0.authentication import GetToken
from auth0.authentication.exceptions import Auth0Error
from auth0.management import Auth0

from support import (
    ACTIONS_TIMEOUT_MS,
    DATABASE_CONNECTION,
    PASSWORD_REALM_GRANT,
    RP_SCOPE,
    ActionSpec,
    Api,
    App,
    Authorization,
    Browser,
    DeployedAction,
    Login,
    Server,
    User,
    find_form,
    location,
    log_in,
    open_login_page,
    query_params,
    recent_logs,
    rp_session,
    unique,
    verify_with_pyjwt,
    without_query,
)

#: The namespace of the custom claims the test actions set.
NS = "https://gatehouse.e2e/"
#: What the password-realm logins ask for (offline_access: a refresh token, the API allows it).
SCOPE = "openid profile email offline_access"
#: Where a request from the test process comes from, as the server may see it.
LOCAL_IPS = ("127.0.0.1", "::1", "::ffff:127.0.0.1")

Bind = Callable[..., list[DeployedAction]]


# --- helpers ------------------------------------------------------------------------------------


def post_login(body: str, **values: Any) -> str:
    """The code of a post-login action whose handler runs `body`. `__NAME__` in the body is
    replaced by the JSON of values[NAME]; `NS` is the claim namespace."""
    for key, value in values.items():
        body = body.replace(f"__{key}__", json.dumps(value))
    return (
        f"const NS = {json.dumps(NS)};\n"
        "exports.onExecutePostLogin = async (event, api) => {\n"
        f"{body}\n"
        "};\n"
    )


def password_login(
    gatehouse: Server,
    app: App,
    user: User,
    *,
    audience: str,
    scope: str = SCOPE,
    realm: str | None = DATABASE_CONNECTION,
    grant_type: str = PASSWORD_REALM_GRANT,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """auth0-python's GetToken.login: the password-realm grant (or, with grant_type="password"
    and no realm, the plain password grant)."""
    client = GetToken(
        gatehouse.domain,
        app.client_id,
        client_secret=app.client_secret,
        protocol="http",
        timeout=timeout,
    )
    return client.login(
        username=user.email,
        password=user.password,
        realm=realm,
        audience=audience,
        scope=scope,
        grant_type=grant_type,
    )


def refresh_with_auth0_python(
    gatehouse: Server, app: App, refresh_token: str, timeout: float = 30.0
) -> dict[str, Any]:
    client = GetToken(
        gatehouse.domain,
        app.client_id,
        client_secret=app.client_secret,
        protocol="http",
        timeout=timeout,
    )
    return client.refresh_token(refresh_token)


def verified(
    tokens: dict[str, Any], jwks_client: pyjwt.PyJWKClient, gatehouse: Server, app: App, api: Api
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (ID token, access token) claims of a token response, both signatures checked."""
    id_claims = verify_with_pyjwt(
        tokens["id_token"], jwks_client, issuer=gatehouse.issuer, audience=app.client_id
    )
    access = verify_with_pyjwt(
        tokens["access_token"], jwks_client, issuer=gatehouse.issuer, audience=api.identifier
    )
    return id_claims, access


def access_claims(
    login: Login, jwks_client: pyjwt.PyJWKClient, gatehouse: Server, api: Api
) -> dict[str, Any]:
    return verify_with_pyjwt(
        login.token["access_token"], jwks_client, issuer=gatehouse.issuer, audience=api.identifier
    )


def code_flow(
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    app: App,
    user: User,
    browser: Browser | None = None,
    **extra: Any,
) -> Login:
    """Authlib's authorization code flow with PKCE through the hosted login page."""
    authz = authorize(app, **extra)
    return redeem(authz, log_in(browser or Browser(), authz.url, user.email, user.password))


def denied_redirect(redirect: str, app: App, authz: Authorization) -> dict[str, str]:
    """The error parameters of a redirect back to the app that must carry an error, no code,
    and the RP's state."""
    assert without_query(redirect) == app.callback, redirect
    params = query_params(redirect)
    assert params.get("error") == "access_denied", params
    assert params.get("state") == authz.state, params
    assert "code" not in params, params
    return params


def wait_for_logs(
    mgmt: Auth0,
    client_id: str,
    predicate: Callable[[Any], bool],
    *,
    timeout: float = 10.0,
) -> list[Any]:
    """The client's tenant log events that satisfy `predicate`, waiting a little for the
    server's batched log writes."""
    deadline = time.monotonic() + timeout
    while True:
        found = [log for log in recent_logs(mgmt, client_id=client_id) if predicate(log)]
        if found or time.monotonic() >= deadline:
            return found
        time.sleep(0.2)


def log_of_type(mgmt: Auth0, client_id: str, log_type: str) -> Any:
    found = wait_for_logs(mgmt, client_id, lambda log: log.type == log_type)
    types = [log.type for log in recent_logs(mgmt, client_id=client_id)]
    assert found, f"no {log_type!r} tenant log for client {client_id}; its logs: {types}"
    return found[0]


def executions_of(log: Any) -> list[str]:
    """details.actions.executions of a login or token exchange log event."""
    details = log.details or {}
    executions = (details.get("actions") or {}).get("executions")
    assert isinstance(executions, list) and executions, (
        f"log {log.type} without details.actions.executions: {details}"
    )
    return executions


def execution_failures(mgmt: Auth0, client_id: str) -> list[Any]:
    """The client's `actions_execution_failed` log events, each with an execution id."""
    found = wait_for_logs(mgmt, client_id, lambda log: log.type == "actions_execution_failed")
    types = [log.type for log in recent_logs(mgmt, client_id=client_id)]
    assert found, f"no actions_execution_failed log for client {client_id}; its logs: {types}"
    for log in found:
        assert (log.details or {}).get("execution_id"), log.model_dump()
    return found


def execution(mgmt: Auth0, execution_id: str) -> dict[str, Any]:
    """GET /api/v2/actions/executions/{id} through auth0-python, as a plain dict."""
    record = mgmt.actions.executions.get(execution_id)
    assert record.id == execution_id
    assert record.trigger_id == "post-login", record
    return record.model_dump(mode="json")


def failed_result(record: dict[str, Any], action: DeployedAction) -> dict[str, Any]:
    """The result of `action` in an execution record, which must carry an error."""
    results = [r for r in record.get("results") or [] if r.get("action_name") == action.name]
    assert results, f"no result for {action.name} in execution {record}"
    result = results[-1]
    assert result.get("error"), f"the result of {action.name} has no error: {record}"
    return result


# --- 1. the role claim of Auth0's introduction -------------------------------------------------

ROLES_CLAIM = "https://gatehouse.e2e/roles"
ROLE_CLAIM_ACTION = """
exports.onExecutePostLogin = async (event, api) => {
  const namespace = 'https://gatehouse.e2e';
  if (event.user.app_metadata.is_admin) {
    api.idToken.setCustomClaim(`${namespace}/roles`, ['admin']);
    api.accessToken.setCustomClaim(`${namespace}/roles`, ['admin']);
  } else {
    api.idToken.setCustomClaim(`${namespace}/roles`, ['user']);
    api.accessToken.setCustomClaim(`${namespace}/roles`, ['user']);
  }
};
"""


def test_role_claim_action_in_code_flow_and_password_realm_tokens(
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
    """The role claim from app_metadata.is_admin lands in both the ID and the access token,
    through the hosted login (Authlib code flow) and the password-realm grant (auth0-python);
    both logins are logged (`s`, `sepft`) with the execution that ran, which is readable."""
    [action] = bind_actions(
        "post-login", ActionSpec(code=ROLE_CLAIM_ACTION, name="add-role-claim")
    )
    app = make_web_app()
    admin = make_user(email_verified=True, app_metadata={"is_admin": True})
    plain = make_user(email_verified=True)

    for user, roles in ((admin, ["admin"]), (plain, ["user"])):
        login = code_flow(authorize, redeem, app, user)  # ID token verified by Authlib
        assert login.id_claims["sub"] == user.user_id
        assert login.id_claims[ROLES_CLAIM] == roles, login.id_claims
        assert access_claims(login, jwks_client, gatehouse, api)[ROLES_CLAIM] == roles

        tokens = password_login(gatehouse, app, user, audience=api.identifier)
        id_claims, access = verified(tokens, jwks_client, gatehouse, app, api)
        assert id_claims["sub"] == access["sub"] == user.user_id
        assert id_claims[ROLES_CLAIM] == roles, id_claims
        assert access[ROLES_CLAIM] == roles, access

    for log_type in ("s", "sepft"):
        [execution_id] = executions_of(log_of_type(mgmt, app.client_id, log_type))
        record = execution(mgmt, execution_id)
        assert [r["action_name"] for r in record["results"]] == [action.name], record
        assert not record["results"][0].get("error"), record


# --- 2. a later action sees what an earlier one set ---------------------------------------------

DEFAULT_ROLES_ACTION = post_login(
    """
  if (!Array.isArray(event.user.app_metadata.roles)) {
    api.user.setAppMetadata('roles', ['reader']);
  }
"""
)

REQUIRED_ROLE_ACTION = post_login(
    """
  const required = event.client.metadata.required_role;
  const roles = event.user.app_metadata.roles || [];
  if (required && !roles.includes(required)) {
    api.access.deny(`Role ${required} required`);
    return;
  }
  api.idToken.setCustomClaim(NS + 'roles', roles);
  api.accessToken.setCustomClaim(NS + 'roles', roles);
"""
)


def test_default_roles_are_visible_to_the_next_action_which_enforces_the_client_required_role(
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
    """The first action gives users without roles the default ['reader'] with
    api.user.setAppMetadata; the second reads event.user.app_metadata.roles (which already
    shows it) and denies when the client's client_metadata.required_role is missing. The
    default roles are persisted (Management API), and the decision follows each client."""
    bind_actions(
        "post-login",
        ActionSpec(code=DEFAULT_ROLES_ACTION, name="default-roles"),
        ActionSpec(code=REQUIRED_ROLE_ACTION, name="require-role"),
    )
    reader_app = make_web_app(client_metadata={"required_role": "reader"})
    admin_app = make_web_app(client_metadata={"required_role": "admin"})
    newcomer = make_user(email_verified=True)
    admin = make_user(email_verified=True, app_metadata={"roles": ["admin"]})

    # Allowed: the second action saw the roles the first one had just set.
    login = code_flow(authorize, redeem, reader_app, newcomer)
    assert login.id_claims[NS + "roles"] == ["reader"], login.id_claims
    assert access_claims(login, jwks_client, gatehouse, api)[NS + "roles"] == ["reader"]
    assert mgmt.users.get(newcomer.user_id).app_metadata == {"roles": ["reader"]}

    # Denied on the client that requires admin: back channel ...
    with pytest.raises(Auth0Error) as denied:
        password_login(gatehouse, admin_app, newcomer, audience=api.identifier)
    assert denied.value.status_code == 403, denied.value
    assert denied.value.error_code == "access_denied", denied.value
    assert denied.value.message == "Role admin required", denied.value
    # ... and hosted login page.
    authz = authorize(admin_app)
    params = denied_redirect(
        log_in(Browser(), authz.url, newcomer.email, newcomer.password), admin_app, authz
    )
    assert params.get("error_description") == "Role admin required", params

    # A user who has the role is let in, and the first action leaves the roles alone.
    tokens = password_login(gatehouse, admin_app, admin, audience=api.identifier)
    id_claims, access = verified(tokens, jwks_client, gatehouse, admin_app, api)
    assert id_claims[NS + "roles"] == access[NS + "roles"] == ["admin"]
    assert mgmt.users.get(admin.user_id).app_metadata == {"roles": ["admin"]}


# --- 3. transaction metadata ---------------------------------------------------------------------


def test_transaction_metadata_passes_a_value_to_the_next_action(
    bind_actions: Bind,
    make_web_app: Callable[..., App],
    user: User,
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    gatehouse: Server,
    api: Api,
    mgmt: Auth0,
    jwks_client: pyjwt.PyJWKClient,
) -> None:
    """A value set with api.transaction.setMetadata by the first action is in the second
    action's event.transaction.metadata (it puts it in a claim), in the code flow and the
    password-realm grant; it is not written to the user."""
    value = unique("risk")
    bind_actions(
        "post-login",
        ActionSpec(
            code=post_login("api.transaction.setMetadata('risk', __VALUE__);", VALUE=value),
            name="set-tx-metadata",
        ),
        ActionSpec(
            code=post_login(
                "api.idToken.setCustomClaim(NS + 'tx', event.transaction.metadata);\n"
                "api.accessToken.setCustomClaim(NS + 'risk', event.transaction.metadata.risk);"
            ),
            name="read-tx-metadata",
        ),
    )
    app = make_web_app()

    login = code_flow(authorize, redeem, app, user)
    assert login.id_claims[NS + "tx"] == {"risk": value}, login.id_claims
    assert access_claims(login, jwks_client, gatehouse, api)[NS + "risk"] == value

    id_claims, access = verified(
        password_login(gatehouse, app, user, audience=api.identifier),
        jwks_client,
        gatehouse,
        app,
        api,
    )
    assert id_claims[NS + "tx"] == {"risk": value}, id_claims
    assert access[NS + "risk"] == value

    stored = mgmt.users.get(user.user_id)
    assert "risk" not in (stored.app_metadata or {}) and "risk" not in (stored.user_metadata or {})


# --- 4. direct mutation of the event -------------------------------------------------------------


def test_direct_mutation_of_event_user_is_neither_persisted_nor_seen_by_the_next_action(
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
    """An action that assigns to event.user.app_metadata (and user_metadata, email) changes
    only its own copy: the next action sees the stored profile, and nothing is written."""
    bind_actions(
        "post-login",
        ActionSpec(
            code=post_login(
                """
  event.user.app_metadata.mutated = 'directly';
  event.user.app_metadata.plan = 'platinum';
  event.user.user_metadata.mutated = 'directly';
  event.user.email = 'changed@example.invalid';
"""
            ),
            name="mutate-event",
        ),
        ActionSpec(
            code=post_login(
                """
  api.idToken.setCustomClaim(NS + 'seen', {
    app_metadata: event.user.app_metadata,
    user_metadata: event.user.user_metadata,
    email: event.user.email,
  });
"""
            ),
            name="read-event",
        ),
    )
    app = make_web_app()
    user = make_user(
        email_verified=True, app_metadata={"plan": "gold"}, user_metadata={"theme": "dark"}
    )
    expected = {
        "app_metadata": {"plan": "gold"},
        "user_metadata": {"theme": "dark"},
        "email": user.email,
    }

    login = code_flow(authorize, redeem, app, user)
    assert login.id_claims[NS + "seen"] == expected, login.id_claims
    id_claims, _ = verified(
        password_login(gatehouse, app, user, audience=api.identifier),
        jwks_client,
        gatehouse,
        app,
        api,
    )
    assert id_claims[NS + "seen"] == expected, id_claims

    stored = mgmt.users.get(user.user_id)
    assert stored.app_metadata == {"plan": "gold"}
    assert stored.user_metadata == {"theme": "dark"}
    assert stored.email == user.email


# --- api.user metadata: merged across actions, null deletes, persisted --------------------------


def test_metadata_updates_are_merged_across_actions_and_persisted(
    bind_actions: Bind,
    make_web_app: Callable[..., App],
    make_user: Callable[..., User],
    gatehouse: Server,
    api: Api,
    mgmt: Auth0,
    jwks_client: pyjwt.PyJWKClient,
) -> None:
    """setAppMetadata/setUserMetadata from two actions are merged with the stored metadata
    (null deletes a key), the second action sees the first one's changes, and the result is
    what the Management API shows afterwards."""
    bind_actions(
        "post-login",
        ActionSpec(
            code=post_login(
                """
  api.user.setAppMetadata('a', 1);
  api.user.setAppMetadata('drop', null);
  api.user.setUserMetadata('lang', 'fr');
"""
            ),
            name="metadata-first",
        ),
        ActionSpec(
            code=post_login(
                """
  api.user.setAppMetadata('b', event.user.app_metadata.a + 1);
  api.idToken.setCustomClaim(NS + 'seen', {
    app_metadata: event.user.app_metadata,
    user_metadata: event.user.user_metadata,
  });
"""
            ),
            name="metadata-second",
        ),
    )
    app = make_web_app()
    user = make_user(
        email_verified=True,
        app_metadata={"keep": 1, "drop": "x"},
        user_metadata={"theme": "dark"},
    )

    tokens = password_login(gatehouse, app, user, audience=api.identifier)
    id_claims, _ = verified(tokens, jwks_client, gatehouse, app, api)
    assert id_claims[NS + "seen"] == {
        "app_metadata": {"keep": 1, "a": 1},
        "user_metadata": {"theme": "dark", "lang": "fr"},
    }, id_claims

    stored = mgmt.users.get(user.user_id)
    assert stored.app_metadata == {"keep": 1, "a": 1, "b": 2}
    assert stored.user_metadata == {"theme": "dark", "lang": "fr"}


# --- 5. deny in each kind of flow ----------------------------------------------------------------

DENY_REASON = "Access blocked by the e2e policy"


def deny_for(client_id: str, reason: str = DENY_REASON, condition: str = "true") -> str:
    return post_login(
        """
  if (event.client.client_id === __CLIENT__ && (__CONDITION__)) {
    api.access.deny(__REASON__);
  }
""".replace("__CONDITION__", condition),
        CLIENT=client_id,
        REASON=reason,
    )


def test_deny_in_the_hosted_login_redirects_back_with_access_denied_and_state(
    bind_actions: Bind,
    make_web_app: Callable[..., App],
    user: User,
    authorize: Callable[..., Authorization],
    mgmt: Auth0,
) -> None:
    """api.access.deny in the browser flow: POST /u/login answers with a redirect to the app's
    redirect_uri carrying error=access_denied, error_description=<reason> and the RP's state,
    and no code; the tenant log has a failed login (`f`)."""
    app = make_web_app()
    bind_actions("post-login", ActionSpec(code=deny_for(app.client_id), name="deny-all"))

    browser = Browser()
    authz = authorize(app)
    page = open_login_page(browser, authz.url)
    answer = browser.submit(
        page.url, page.form, {"username": user.email, "password": user.password}
    )
    params = denied_redirect(location(answer), app, authz)
    assert params.get("error_description") == DENY_REASON, params
    log_of_type(mgmt, app.client_id, "f")


def test_deny_in_the_password_realm_grant_is_403_access_denied(
    bind_actions: Bind,
    make_web_app: Callable[..., App],
    user: User,
    gatehouse: Server,
    api: Api,
    mgmt: Auth0,
) -> None:
    """api.access.deny on the back channel: HTTP 403 with
    {"error": "access_denied", "error_description": <reason>}; logged as `fepft`."""
    app = make_web_app()
    bind_actions("post-login", ActionSpec(code=deny_for(app.client_id), name="deny-all"))

    with pytest.raises(Auth0Error) as denied:
        password_login(gatehouse, app, user, audience=api.identifier)
    assert denied.value.status_code == 403, denied.value
    # auth0-python reads "error" into error_code and "error_description" into message.
    assert (denied.value.error_code, denied.value.message) == ("access_denied", DENY_REASON)
    log_of_type(mgmt, app.client_id, "fepft")


def test_deny_on_refresh_exchange_only_is_403_access_denied(
    bind_actions: Bind,
    make_web_app: Callable[..., App],
    user: User,
    gatehouse: Server,
    api: Api,
    jwks_client: pyjwt.PyJWKClient,
) -> None:
    """An action that denies only when event.transaction.protocol is oauth2-refresh-token lets
    the password-realm login through, and turns the refresh exchange into a 403
    access_denied with its reason."""
    app = make_web_app()
    reason = "Refresh denied by the e2e policy"
    bind_actions(
        "post-login",
        ActionSpec(
            code=deny_for(
                app.client_id, reason, "event.transaction.protocol === 'oauth2-refresh-token'"
            ),
            name="deny-refresh",
        ),
    )
    tokens = password_login(gatehouse, app, user, audience=api.identifier)
    verified(tokens, jwks_client, gatehouse, app, api)
    assert tokens.get("refresh_token"), tokens

    with pytest.raises(Auth0Error) as denied:
        refresh_with_auth0_python(gatehouse, app, tokens["refresh_token"])
    assert denied.value.status_code == 403, denied.value
    assert (denied.value.error_code, denied.value.message) == ("access_denied", reason)


# --- 6. actions that throw or run out of time fail the login closed ------------------------------

THROWING_ACTION = """
  if (event.client.client_id === __CLIENT__) {
    api.idToken.setCustomClaim(NS + 'before_throw', true);
    throw new Error('e2e boom: the action failed on purpose');
  }
"""


def test_throwing_action_fails_the_hosted_login_closed_and_is_logged(
    bind_actions: Bind,
    make_web_app: Callable[..., App],
    user: User,
    authorize: Callable[..., Authorization],
    mgmt: Auth0,
) -> None:
    """A throwing action in the browser flow: redirect back with error=access_denied, an
    error_description naming the action, and the state; an `actions_execution_failed` log
    event whose execution (GET /actions/executions/{id}) shows the action's error."""
    app = make_web_app()
    [action] = bind_actions(
        "post-login",
        ActionSpec(code=post_login(THROWING_ACTION, CLIENT=app.client_id), name="throws"),
    )
    authz = authorize(app)
    params = denied_redirect(log_in(Browser(), authz.url, user.email, user.password), app, authz)
    assert action.name in params.get("error_description", ""), params

    failure = execution_failures(mgmt, app.client_id)[0]
    result = failed_result(execution(mgmt, failure.details["execution_id"]), action)
    assert "e2e boom" in json.dumps(result["error"]), result
    log_of_type(mgmt, app.client_id, "f")


def test_throwing_action_fails_the_password_realm_grant_closed_and_is_logged(
    bind_actions: Bind,
    make_web_app: Callable[..., App],
    user: User,
    gatehouse: Server,
    api: Api,
    mgmt: Auth0,
) -> None:
    """A throwing action on the back channel: HTTP 403 access_denied whose description names
    the action; `actions_execution_failed` and `fepft` log events; the execution record
    carries the error."""
    app = make_web_app()
    [action] = bind_actions(
        "post-login",
        ActionSpec(code=post_login(THROWING_ACTION, CLIENT=app.client_id), name="throws"),
    )
    with pytest.raises(Auth0Error) as failed:
        password_login(gatehouse, app, user, audience=api.identifier)
    assert failed.value.status_code == 403, failed.value
    assert failed.value.error_code == "access_denied", failed.value
    assert action.name in failed.value.message, failed.value

    failure = execution_failures(mgmt, app.client_id)[0]
    result = failed_result(execution(mgmt, failure.details["execution_id"]), action)
    assert "e2e boom" in json.dumps(result["error"]), result
    fepft = log_of_type(mgmt, app.client_id, "fepft")
    assert failure.details["execution_id"] in executions_of(fepft)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("while (true) {}", id="busy-loop"),
        pytest.param("await new Promise(() => {});", id="never-settles"),
    ],
)
def test_action_past_the_time_budget_fails_the_login_closed(
    body: str,
    bind_actions: Bind,
    make_web_app: Callable[..., App],
    user: User,
    gatehouse: Server,
    api: Api,
    mgmt: Auth0,
) -> None:
    """An action that never finishes is stopped at the flow's time budget
    (GATEHOUSE_ACTIONS_TIMEOUT_MS, 3 s in this suite): 403 access_denied naming the action,
    soon after the budget; `actions_execution_failed` logged; the execution shows an
    action_timeout error."""
    app = make_web_app()
    [action] = bind_actions(
        "post-login",
        ActionSpec(
            code=post_login(
                "if (event.client.client_id === __CLIENT__) {\n" + body + "\n}",
                CLIENT=app.client_id,
            ),
            name="hangs",
        ),
    )
    started = time.monotonic()
    with pytest.raises(Auth0Error) as failed:
        password_login(gatehouse, app, user, audience=api.identifier, timeout=60.0)
    elapsed = time.monotonic() - started
    assert failed.value.status_code == 403, failed.value
    assert failed.value.error_code == "access_denied", failed.value
    assert action.name in failed.value.message, failed.value
    budget = ACTIONS_TIMEOUT_MS / 1000
    assert budget * 0.8 <= elapsed < budget + 10, f"answered after {elapsed:.1f}s"

    failure = execution_failures(mgmt, app.client_id)[0]
    result = failed_result(execution(mgmt, failure.details["execution_id"]), action)
    assert result["error"].get("id") == "action_timeout", result


# --- 7. fail-open bindings -----------------------------------------------------------------------


def test_fail_open_action_that_throws_does_not_stop_the_login(
    bind_actions: Bind,
    make_web_app: Callable[..., App],
    user: User,
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    gatehouse: Server,
    api: Api,
    mgmt: Auth0,
    jwks_client: pyjwt.PyJWKClient,
) -> None:
    """With Gatehouse's `fail_open: true` on its binding, a throwing first action does not
    stop the login: its claim and metadata commands are dropped (the next action does not
    see its metadata either), the second action's claim is issued, the bindings echo
    fail_open, and the failure is still logged as `actions_execution_failed`."""
    app = make_web_app()
    failing, second = bind_actions(
        "post-login",
        ActionSpec(
            code=post_login(
                """
  if (event.client.client_id === __CLIENT__) {
    api.idToken.setCustomClaim(NS + 'from_failed', true);
    api.user.setAppMetadata('from_failed', true);
    throw new Error('fail-open action broke on purpose');
  }
""",
                CLIENT=app.client_id,
            ),
            name="fail-open",
            fail_open=True,
        ),
        ActionSpec(
            code=post_login(
                """
  api.idToken.setCustomClaim(NS + 'second', 'ran');
  api.accessToken.setCustomClaim(NS + 'second', 'ran');
  api.idToken.setCustomClaim(
    NS + 'saw_failed_metadata', event.user.app_metadata.from_failed === true);
"""
            ),
            name="after-fail-open",
        ),
    )
    listed = {
        b.action.id: b.model_dump(mode="json")
        for b in mgmt.actions.triggers.bindings.list("post-login")
    }
    assert listed[failing.id].get("fail_open") is True, listed[failing.id]
    assert listed[second.id].get("fail_open", False) is False, listed[second.id]

    tokens = password_login(gatehouse, app, user, audience=api.identifier)
    id_claims, access = verified(tokens, jwks_client, gatehouse, app, api)
    assert id_claims[NS + "second"] == access[NS + "second"] == "ran"
    assert NS + "from_failed" not in id_claims, id_claims
    assert id_claims[NS + "saw_failed_metadata"] is False

    login = code_flow(authorize, redeem, app, user)
    assert login.id_claims[NS + "second"] == "ran"
    assert NS + "from_failed" not in login.id_claims

    assert "from_failed" not in (mgmt.users.get(user.user_id).app_metadata or {})
    failure = execution_failures(mgmt, app.client_id)[0]
    record = execution(mgmt, failure.details["execution_id"])
    failed_result(record, failing)
    later = [r for r in record["results"] if r["action_name"] == second.name]
    assert later and not later[0].get("error"), record
    sepft = log_of_type(mgmt, app.client_id, "sepft")
    assert executions_of(sepft)


# --- 8. refresh token exchanges re-run the flow -------------------------------------------------

PROTOCOL_CLAIM_ACTION = post_login(
    """
  api.idToken.setCustomClaim(NS + 'protocol', event.transaction.protocol);
  api.accessToken.setCustomClaim(NS + 'protocol', event.transaction.protocol);
"""
)


def test_refresh_exchange_reruns_the_flow_with_the_refresh_protocol(
    bind_actions: Bind,
    make_web_app: Callable[..., App],
    user: User,
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    discovery: dict[str, Any],
    gatehouse: Server,
    api: Api,
    mgmt: Auth0,
    jwks_client: pyjwt.PyJWKClient,
) -> None:
    """A claim set from event.transaction.protocol is oauth2-password at the password-realm
    login, oidc-basic-profile in the code flow, and oauth2-refresh-token in the tokens of
    the refresh exchanges (auth0-python and Authlib); the `sertft` log links the execution."""
    bind_actions("post-login", ActionSpec(code=PROTOCOL_CLAIM_ACTION, name="protocol-claim"))
    app = make_web_app()

    tokens = password_login(gatehouse, app, user, audience=api.identifier)
    id_claims, access = verified(tokens, jwks_client, gatehouse, app, api)
    assert id_claims[NS + "protocol"] == access[NS + "protocol"] == "oauth2-password"

    refreshed = refresh_with_auth0_python(gatehouse, app, tokens["refresh_token"])
    access = verify_with_pyjwt(
        refreshed["access_token"], jwks_client, issuer=gatehouse.issuer, audience=api.identifier
    )
    assert access["sub"] == user.user_id
    assert access[NS + "protocol"] == "oauth2-refresh-token", access
    if "id_token" in refreshed:
        id_claims = verify_with_pyjwt(
            refreshed["id_token"], jwks_client, issuer=gatehouse.issuer, audience=app.client_id
        )
        assert id_claims[NS + "protocol"] == "oauth2-refresh-token", id_claims

    login = code_flow(authorize, redeem, app, user)
    assert login.id_claims[NS + "protocol"] == "oidc-basic-profile"
    access = access_claims(login, jwks_client, gatehouse, api)
    assert access[NS + "protocol"] == "oidc-basic-profile"
    again = rp_session(app).refresh_token(
        discovery["token_endpoint"], refresh_token=login.token["refresh_token"]
    )
    access = verify_with_pyjwt(
        again["access_token"], jwks_client, issuer=gatehouse.issuer, audience=api.identifier
    )
    assert access[NS + "protocol"] == "oauth2-refresh-token", access

    sertft = log_of_type(mgmt, app.client_id, "sertft")
    assert execution(mgmt, executions_of(sertft)[0])["results"]


# --- 9. SSO re-use of the session ---------------------------------------------------------------


def test_sso_reuse_of_the_session_reruns_the_flow(
    bind_actions: Bind,
    make_web_app: Callable[..., App],
    user: User,
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
) -> None:
    """A second /authorize in the same browser session skips the login page but runs the flow
    again, for that request: its state and the browser session's id are in the event, and the
    protocol is oidc-basic-profile."""
    bind_actions(
        "post-login",
        ActionSpec(
            code=post_login(
                """
  api.idToken.setCustomClaim(NS + 'protocol', event.transaction.protocol);
  api.idToken.setCustomClaim(NS + 'state', event.transaction.state);
  api.idToken.setCustomClaim(NS + 'session', event.session ? event.session.id : null);
"""
            ),
            name="sso-claims",
        ),
    )
    app = make_web_app()
    browser = Browser()
    first_authz = authorize(app)
    first = redeem(first_authz, log_in(browser, first_authz.url, user.email, user.password))
    assert first.id_claims[NS + "state"] == first_authz.state
    assert first.id_claims.get(NS + "session") == first.id_claims["sid"], first.id_claims

    second_authz = authorize(app)
    redirect = location(browser.get(second_authz.url))
    assert without_query(redirect) == app.callback, f"expected SSO, got {redirect}"
    second = redeem(second_authz, redirect)
    assert second.id_claims[NS + "protocol"] == "oidc-basic-profile"
    assert second.id_claims[NS + "state"] == second_authz.state, "the flow ran for this request"
    assert second.id_claims.get(NS + "session") == second.id_claims["sid"], second.id_claims
    assert second.id_claims["sid"] == first.id_claims["sid"], "same browser session"


# --- 10. api.cache across executions -------------------------------------------------------------


def test_cache_value_set_in_one_login_is_read_in_a_later_one(
    bind_actions: Bind,
    make_web_app: Callable[..., App],
    make_user: Callable[..., User],
    gatehouse: Server,
    api: Api,
    jwks_client: pyjwt.PyJWKClient,
) -> None:
    """api.cache is per trigger and outlives an execution: the first login misses and sets the
    key, a later login (another user, another application) reads the value."""
    key = unique("e2e-cache")
    value = unique("cached-value")
    bind_actions(
        "post-login",
        ActionSpec(
            code=post_login(
                """
  const hit = api.cache.get(__KEY__);
  if (hit) {
    api.idToken.setCustomClaim(NS + 'cached', hit.value);
  } else {
    const stored = api.cache.set(__KEY__, __VALUE__);
    api.idToken.setCustomClaim(NS + 'cached', 'miss:' + stored.type);
  }
""",
                KEY=key,
                VALUE=value,
            ),
            name="cache",
        ),
    )
    first_app, second_app = make_web_app(), make_web_app()
    first_user = make_user(email_verified=True)
    second_user = make_user(email_verified=True)

    id_claims, _ = verified(
        password_login(gatehouse, first_app, first_user, audience=api.identifier),
        jwks_client, gatehouse, first_app, api,
    )
    assert id_claims[NS + "cached"] == "miss:success", id_claims
    id_claims, _ = verified(
        password_login(gatehouse, second_app, second_user, audience=api.identifier),
        jwks_client, gatehouse, second_app, api,
    )
    assert id_claims[NS + "cached"] == value, id_claims


# --- the authorization_code exchange does not run the flow again ---------------------------------


def test_code_exchange_carries_the_login_decision_without_rerunning_the_flow(
    bind_actions: Bind,
    make_web_app: Callable[..., App],
    user: User,
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    gatehouse: Server,
    api: Api,
    mgmt: Auth0,
    jwks_client: pyjwt.PyJWKClient,
) -> None:
    """The flow runs once for a code flow login, at POST /u/login: a run counter kept in
    api.cache is 1 in the tokens from the code exchange, the `s` log links one execution and
    the code exchange's `seacft` log none; the next login counts 2."""
    key = unique("e2e-runs")
    bind_actions(
        "post-login",
        ActionSpec(
            code=post_login(
                """
  const hit = api.cache.get(__KEY__);
  const runs = (hit ? parseInt(hit.value, 10) : 0) + 1;
  api.cache.set(__KEY__, String(runs));
  api.idToken.setCustomClaim(NS + 'runs', runs);
  api.accessToken.setCustomClaim(NS + 'runs', runs);
""",
                KEY=key,
            ),
            name="count-runs",
        ),
    )
    app = make_web_app()
    login = code_flow(authorize, redeem, app, user)

    assert len(executions_of(log_of_type(mgmt, app.client_id, "s"))) == 1
    seacft = log_of_type(mgmt, app.client_id, "seacft")
    assert not (seacft.details or {}).get("actions"), seacft.details
    assert login.id_claims[NS + "runs"] == 1, login.id_claims
    assert access_claims(login, jwks_client, gatehouse, api)[NS + "runs"] == 1

    id_claims, _ = verified(
        password_login(gatehouse, app, user, audience=api.identifier),
        jwks_client,
        gatehouse,
        app,
        api,
    )
    assert id_claims[NS + "runs"] == 2, id_claims


# --- the event the actions see --------------------------------------------------------------------

EVENT_CLAIM_ACTION = post_login(
    """
  api.idToken.setCustomClaim(NS + 'event', {
    user: event.user, stats: event.stats, client: event.client, connection: event.connection,
    tenant: event.tenant, request: event.request, transaction: event.transaction,
    authentication: event.authentication, authorization: event.authorization,
    resource_server: event.resource_server, session: event.session, secrets: event.secrets,
  });
"""
)


def recent_iso_timestamp(value: Any) -> None:
    assert isinstance(value, str), value
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert when.tzinfo is not None, value
    assert abs(datetime.now(timezone.utc) - when) < timedelta(minutes=5), value


def test_event_of_the_hosted_login(
    bind_actions: Bind,
    make_web_app: Callable[..., App],
    make_user: Callable[..., User],
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    gatehouse: Server,
    api: Api,
    mgmt: Auth0,
) -> None:
    """What a post-login action sees in the browser flow (§2.2): the full user with metadata
    objects and identities, stats, the client with its client_metadata, the connection, the
    tenant, the request with the /authorize query, the transaction (id, protocol, scopes,
    redirect_uri, state, response_type, response_mode, metadata), the pwd authentication
    method, the user's role names, the requested API, the session and the action's secrets;
    never the password or the client secret."""
    secret = unique("s3cret")
    bind_actions(
        "post-login",
        ActionSpec(code=EVENT_CLAIM_ACTION, name="event-claim", secrets={"E2E_SECRET": secret}),
    )
    app = make_web_app(client_metadata={"tier": "gold"})
    user = make_user(
        email_verified=True, app_metadata={"plan": "gold"}, user_metadata={"theme": "dark"}
    )
    role_name = unique("e2e-reader")
    role = mgmt.roles.create(name=role_name)
    mgmt.users.roles.assign(user.user_id, roles=[role.id])

    browser = Browser()
    authz = authorize(app, response_mode="query")
    login = redeem(authz, log_in(browser, authz.url, user.email, user.password))
    event = login.id_claims[NS + "event"]
    dumped = json.dumps(event)
    assert user.password not in dumped and app.client_secret not in dumped

    u = event["user"]
    assert u["user_id"] == user.user_id
    assert u["email"] == user.email
    assert u["email_verified"] is True
    assert u["app_metadata"] == {"plan": "gold"}
    assert u["user_metadata"] == {"theme": "dark"}
    [identity] = u["identities"]
    assert identity["connection"] == DATABASE_CONNECTION
    assert identity["provider"] == "auth0"
    assert identity["user_id"] == user.user_id.split("|", 1)[1]
    assert identity.get("isSocial") is False

    assert isinstance(event["stats"]["logins_count"], int) and event["stats"]["logins_count"] >= 1
    assert event["client"]["client_id"] == app.client_id, event["client"]
    assert event["client"]["name"] == app.raw.name, event["client"]
    assert event["client"]["metadata"] == {"tier": "gold"}, event["client"]
    assert event["connection"]["name"] == DATABASE_CONNECTION
    assert event["connection"]["strategy"] == "auth0"
    assert isinstance(event["connection"]["id"], str) and event["connection"]["id"]
    assert isinstance(event["tenant"]["id"], str) and event["tenant"]["id"]

    request = event["request"]
    assert request["ip"] in LOCAL_IPS, request
    assert request["method"] in ("GET", "POST"), request
    assert request["hostname"] in (gatehouse.domain, "127.0.0.1"), request
    assert request["user_agent"] == browser.session.headers["User-Agent"]
    query = request["query"]
    assert query["client_id"] == app.client_id, query
    assert query["state"] == authz.state, query
    assert query["redirect_uri"] == app.callback, query
    assert query["response_type"] == "code", query
    assert query["audience"] == api.identifier, query

    transaction = event["transaction"]
    assert isinstance(transaction.get("id"), str) and transaction["id"], transaction
    assert transaction["protocol"] == "oidc-basic-profile"
    assert sorted(transaction["requested_scopes"]) == sorted(RP_SCOPE.split())
    assert transaction["redirect_uri"] == app.callback
    assert transaction["state"] == authz.state
    assert transaction["response_type"] == ["code"]
    assert transaction["response_mode"] == "query"
    assert transaction["metadata"] == {}

    methods = event["authentication"]["methods"]
    assert [m["name"] for m in methods] == ["pwd"], methods
    recent_iso_timestamp(methods[0]["timestamp"])
    assert event["authorization"]["roles"] == [role_name]
    assert event["resource_server"]["identifier"] == api.identifier
    assert event["session"]["id"] == login.id_claims["sid"]
    assert event["secrets"] == {"E2E_SECRET": secret}


@pytest.mark.parametrize("grant", ["password-realm", "password"])
def test_event_at_the_token_endpoint(
    grant: str,
    bind_actions: Bind,
    make_web_app: Callable[..., App],
    make_user: Callable[..., User],
    gatehouse: Server,
    api: Api,
    jwks_client: pyjwt.PyJWKClient,
) -> None:
    """What a post-login action sees on the password and password-realm grants: protocol
    oauth2-password, the POST body without client_secret or password, the requested scopes
    and API, the pwd method, the client's metadata."""
    bind_actions("post-login", ActionSpec(code=EVENT_CLAIM_ACTION, name="event-claim"))
    app = make_web_app(client_metadata={"tier": "silver"})
    user = make_user(email_verified=True, app_metadata={"plan": "basic"})
    scope = "openid email read:orders"
    if grant == "password":
        tokens = password_login(
            gatehouse,
            app,
            user,
            audience=api.identifier,
            scope=scope,
            realm=None,
            grant_type="password",
        )
    else:
        tokens = password_login(gatehouse, app, user, audience=api.identifier, scope=scope)
    id_claims, _ = verified(tokens, jwks_client, gatehouse, app, api)
    event = id_claims[NS + "event"]
    dumped = json.dumps(event)
    assert user.password not in dumped and app.client_secret not in dumped

    assert event["user"]["user_id"] == user.user_id
    assert event["user"]["app_metadata"] == {"plan": "basic"}
    assert event["user"]["user_metadata"] == {}
    assert event["client"]["client_id"] == app.client_id
    assert event["client"]["metadata"] == {"tier": "silver"}
    assert event["connection"]["name"] == DATABASE_CONNECTION
    assert isinstance(event["stats"]["logins_count"], int) and event["stats"]["logins_count"] >= 1

    request = event["request"]
    assert request["method"] == "POST"
    assert request["ip"] in LOCAL_IPS, request
    assert request["hostname"] in (gatehouse.domain, "127.0.0.1"), request
    assert request.get("user_agent"), request
    body = request["body"]
    assert "client_secret" not in body and "password" not in body, body
    assert body["username"] == user.email, body
    assert body["client_id"] == app.client_id, body
    assert body["grant_type"] == ("password" if grant == "password" else PASSWORD_REALM_GRANT)
    assert body["audience"] == api.identifier, body
    if grant == "password-realm":
        assert body["realm"] == DATABASE_CONNECTION, body

    transaction = event["transaction"]
    assert transaction["protocol"] == "oauth2-password", transaction
    assert sorted(transaction["requested_scopes"]) == sorted(scope.split()), transaction
    assert [m["name"] for m in event["authentication"]["methods"]] == ["pwd"]
    recent_iso_timestamp(event["authentication"]["methods"][0]["timestamp"])
    assert event["resource_server"]["identifier"] == api.identifier
    assert (event.get("authorization") or {}).get("roles", []) == [], event.get("authorization")


# --- token shaping: reserved claims, scopes ------------------------------------------------------


def test_reserved_claim_names_are_dropped_silently(
    bind_actions: Bind,
    make_web_app: Callable[..., App],
    user: User,
    gatehouse: Server,
    api: Api,
    jwks_client: pyjwt.PyJWKClient,
) -> None:
    """setCustomClaim with a restricted name (sub, roles, permissions) does not fail the login
    and does not reach the token; the action's other claims do."""
    bind_actions(
        "post-login",
        ActionSpec(
            code=post_login(
                """
  api.idToken.setCustomClaim('sub', 'hijacked');
  api.accessToken.setCustomClaim('sub', 'hijacked');
  api.accessToken.setCustomClaim('roles', ['root']);
  api.accessToken.setCustomClaim('permissions', ['delete:everything']);
  api.idToken.setCustomClaim(NS + 'after', 'kept');
"""
            ),
            name="reserved-claims",
        ),
    )
    app = make_web_app()
    id_claims, access = verified(
        password_login(gatehouse, app, user, audience=api.identifier),
        jwks_client,
        gatehouse,
        app,
        api,
    )
    assert id_claims["sub"] == access["sub"] == user.user_id
    assert "roles" not in access and "permissions" not in access, access
    assert id_claims[NS + "after"] == "kept"


def test_add_and_remove_scope_change_the_access_token_scope(
    bind_actions: Bind,
    make_web_app: Callable[..., App],
    user: User,
    gatehouse: Server,
    api: Api,
    jwks_client: pyjwt.PyJWKClient,
) -> None:
    """api.accessToken.addScope/removeScope for the requested API change the access token's
    scope claim."""
    bind_actions(
        "post-login",
        ActionSpec(
            code=post_login(
                """
  if (event.resource_server && event.resource_server.identifier === __API__) {
    api.accessToken.addScope('write:orders');
    api.accessToken.removeScope('read:orders');
  }
""",
                API=api.identifier,
            ),
            name="scopes",
        ),
    )
    app = make_web_app()
    _, access = verified(
        password_login(
            gatehouse, app, user, audience=api.identifier, scope="openid email read:orders"
        ),
        jwks_client,
        gatehouse,
        app,
        api,
    )
    scopes = access["scope"].split()
    assert "write:orders" in scopes and "read:orders" not in scopes, scopes
    assert {"openid", "email"} <= set(scopes), scopes


# --- the sign-up page --------------------------------------------------------------------------


def test_signup_page_runs_the_flow(
    bind_actions: Bind,
    make_web_app: Callable[..., App],
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    gatehouse: Server,
) -> None:
    """A user who signs up on the hosted page is logged in through the post-login flow too."""
    bind_actions(
        "post-login",
        ActionSpec(
            code=post_login(
                """
  api.idToken.setCustomClaim(NS + 'protocol', event.transaction.protocol);
  api.idToken.setCustomClaim(NS + 'email', event.user.email);
  api.idToken.setCustomClaim(NS + 'logins', event.stats.logins_count);
"""
            ),
            name="signup-claims",
        ),
    )
    app = make_web_app()
    browser = Browser()
    authz = authorize(app)
    login_page = open_login_page(browser, authz.url)
    signup_url = gatehouse.url(f"/u/signup?state={query_params(login_page.url)['state']}")
    page = browser.get(signup_url)
    assert page.status_code == 200, page.text[:1000]
    email = f"{unique('flow-signup')}@e2e.test"
    form = find_form(page.text, "email", "password")
    answer = browser.submit(signup_url, form, {"email": email, "password": "Flow-Signup-1!"})
    login = redeem(authz, location(answer))
    assert login.id_claims[NS + "protocol"] == "oidc-basic-profile"
    assert login.id_claims[NS + "email"] == email
    assert isinstance(login.id_claims[NS + "logins"], int) and login.id_claims[NS + "logins"] >= 1


# --- 11. credentials-exchange deny ---------------------------------------------------------------


def test_credentials_exchange_deny_invalid_scope_is_400(
    bind_actions: Bind,
    make_web_app: Callable[..., App],
    gatehouse: Server,
    api: Api,
) -> None:
    """credentials-exchange api.access.deny('invalid_scope', reason) answers the client
    credentials grant with HTTP 400 {"error": "invalid_scope", "error_description": reason}.
    (The claim case is covered by test_actions_management.py.)"""
    app = make_web_app()
    reason = "No machine tokens for this client today"
    bind_actions(
        "credentials-exchange",
        ActionSpec(
            code=(
                "exports.onExecuteCredentialsExchange = async (event, api) => {\n"
                f"  if (event.client.client_id === {json.dumps(app.client_id)}) {{\n"
                f"    api.access.deny('invalid_scope', {json.dumps(reason)});\n"
                "  }\n"
                "};\n"
            ),
            name="deny-m2m",
        ),
    )
    client = GetToken(
        gatehouse.domain,
        app.client_id,
        client_secret=app.client_secret,
        protocol="http",
        timeout=30,
    )
    with pytest.raises(Auth0Error) as denied:
        client.client_credentials(audience=api.identifier)
    assert denied.value.status_code == 400, denied.value
    assert (denied.value.error_code, denied.value.message) == ("invalid_scope", reason)


def test_actions_calling_back_into_the_server_do_not_deadlock_the_worker_pool(
    bind_actions: Bind,
    make_web_app: Callable[..., App],
    make_user: Callable[..., User],
    gatehouse: Server,
    api: Api,
    jwks_client: pyjwt.PyJWKClient,
) -> None:
    """A post-login action that fetches a machine-to-machine token from this server's own
    /oauth/token, whose credentials-exchange flow needs a worker of the same pool, in as many
    simultaneous logins as the pool has workers (two on the CI machine): every outer flow holds a
    worker while its nested flow waits, and only the pool's temporary extra workers let the
    nested flows run before the budget ends. Every login succeeds and carries the claim the
    nested exchange's action set (what-users-ask #12: re-entrancy must not deadlock)."""
    app = make_web_app()
    users = [make_user(email_verified=True) for _ in range(2)]
    bind_actions(
        "credentials-exchange",
        ActionSpec(
            code=(
                "exports.onExecuteCredentialsExchange = async (event, api) => {\n"
                f"  api.accessToken.setCustomClaim({json.dumps(NS + 'nested')}, 'from credentials-exchange');\n"
                "};\n"
            ),
            name="m2m-claim",
        ),
    )
    bind_actions(
        "post-login",
        ActionSpec(
            code=post_login(
                """
  if (event.client.client_id !== __CLIENT__) return;
  const response = await fetch(__ISSUER__ + 'oauth/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials', client_id: __CLIENT__,
      client_secret: event.secrets.CLIENT_SECRET, audience: __AUDIENCE__,
    }),
  });
  const body = await response.json();
  const payload = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString());
  api.idToken.setCustomClaim(NS + 'nested', payload[NS + 'nested']);
""",
                CLIENT=app.client_id,
                ISSUER=gatehouse.issuer,
                AUDIENCE=api.identifier,
            ),
            secrets={"CLIENT_SECRET": app.client_secret or ""},
            name="calls-back",
        ),
    )
    with ThreadPoolExecutor(max_workers=len(users)) as pool:
        logins = list(
            pool.map(
                lambda user: password_login(gatehouse, app, user, audience=api.identifier),
                users,
            )
        )
    for login, user in zip(logins, users):
        claims, _ = verified(login, jwks_client, gatehouse, app, api)
        assert claims["sub"] == user.user_id
        assert claims[NS + "nested"] == "from credentials-exchange", claims
