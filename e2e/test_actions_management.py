"""The Actions Management API driven by auth0-python's generated Management client: the whole
lifecycle an IaC tool goes through (create, wait for the build, deploy, update, deploy again, roll
back, bind by name, test a draft, delete: 409 while bound, then forced)."""

from __future__ import annotations

import pytest
from auth0.management import Auth0
from auth0.management.core.api_error import ApiError

from support import unique, wait_until_built

CODE_V1 = "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://e2e/v', 1); };"
CODE_V2 = "exports.onExecutePostLogin = async (event, api) => { console.log('v2', event.secrets.TOKEN); api.idToken.setCustomClaim('https://e2e/v', 2); };"


def test_action_lifecycle_with_auth0_python(mgmt: Auth0) -> None:
    name = unique("action")
    created = mgmt.actions.create(
        name=name,
        supported_triggers=[{"id": "post-login", "version": "v3"}],
        code=CODE_V1,
        secrets=[{"name": "TOKEN", "value": "e2e-secret-value"}],
        runtime="node22",
    )
    assert created.status == "pending"
    assert [s.name for s in created.secrets] == ["TOKEN"]
    assert "e2e-secret-value" not in created.model_dump_json()

    assert wait_until_built(mgmt, created.id).status == "built"
    first = mgmt.actions.deploy(created.id)
    assert first.number == 1

    mgmt.actions.update(created.id, code=CODE_V2)
    assert mgmt.actions.get(created.id).all_changes_deployed is False
    assert wait_until_built(mgmt, created.id).status == "built"

    tested = mgmt.actions.test(created.id, payload={"user": {"email": "e2e@example.com"}})
    dumped = tested.model_dump()
    assert dumped["payload"]["status"] == "completed"
    assert dumped["payload"]["actions"][0]["logs"] == "v2 e2e-secret-value\n"

    second = mgmt.actions.deploy(created.id)
    assert second.number == 2
    rolled_back = mgmt.actions.versions.deploy(created.id, first.id, request={"update_draft": True})
    assert rolled_back.number == 3
    assert rolled_back.code == CODE_V1
    assert mgmt.actions.get(created.id).code == CODE_V1
    versions = mgmt.actions.versions.list(created.id)
    assert len(list(versions)) == 3

    bound = mgmt.actions.triggers.bindings.update_many(
        "post-login", bindings=[{"ref": {"type": "action_name", "value": name}, "display_name": "e2e binding"}]
    )
    assert [b.action.name for b in bound.bindings] == [name]
    listed = mgmt.actions.triggers.bindings.list("post-login")
    assert [b.display_name for b in listed] == ["e2e binding"]

    with pytest.raises(ApiError) as refused:
        mgmt.actions.delete(created.id)
    assert refused.value.status_code == 409
    assert refused.value.body["message"] == "Unable to delete an action bound to a trigger."
    mgmt.actions.delete(created.id, force=True)
    with pytest.raises(ApiError) as gone:
        mgmt.actions.get(created.id)
    assert gone.value.status_code == 404
    assert list(mgmt.actions.triggers.bindings.list("post-login")) == []


def test_triggers_listed_from_the_catalog(mgmt: Auth0) -> None:
    triggers = {t.id: t for t in mgmt.actions.triggers.list().triggers}
    assert triggers["post-login"].version == "v3"
    assert triggers["credentials-exchange"].version == "v2"


def test_bound_action_shapes_m2m_tokens_and_executions_are_readable(
    mgmt: Auth0, get_token, gatehouse, jwks_client
) -> None:
    """credentials-exchange with auth0-python end to end: the claim is in the token, the tenant
    log links the execution, and the execution reads back through the Management client."""
    import jwt as pyjwt

    name = unique("m2m-claims")
    api = mgmt.resource_servers.create(identifier=f"https://{name}.e2e.test/", name=name, scopes=[{"value": "read:x"}])
    m2m = mgmt.clients.create(
        name=name, app_type="non_interactive", grant_types=["client_credentials"], token_endpoint_auth_method="client_secret_post"
    )
    mgmt.client_grants.create(client_id=m2m.client_id, audience=api.identifier, scope=["read:x"])
    action = mgmt.actions.create(
        name=name,
        supported_triggers=[{"id": "credentials-exchange", "version": "v2"}],
        code="exports.onExecuteCredentialsExchange = async (event, api) => { console.log('for', event.client.name); api.accessToken.setCustomClaim('https://e2e/client', event.client.name); };",
    )
    assert wait_until_built(mgmt, action.id).status == "built"
    mgmt.actions.deploy(action.id)
    mgmt.actions.triggers.bindings.update_many(
        "credentials-exchange", bindings=[{"ref": {"type": "action_id", "value": action.id}}]
    )
    try:
        token = get_token(m2m.client_id, m2m.client_secret).client_credentials(audience=api.identifier)
        key = jwks_client.get_signing_key_from_jwt(token["access_token"])
        claims = pyjwt.decode(token["access_token"], key.key, algorithms=["RS256"], audience=api.identifier)
        assert claims["https://e2e/client"] == name

        logs = [log for log in mgmt.logs.list(per_page=100) if log.client_id == m2m.client_id]
        assert logs, "no tenant log for the exchange"
        details = logs[0].details or {}
        execution_id = details["actions"]["executions"][0]
        execution = mgmt.actions.executions.get(execution_id)
        assert execution.trigger_id == "credentials-exchange"
        assert execution.results[0].action_name == name
    finally:
        mgmt.actions.triggers.bindings.update_many("credentials-exchange", bindings=[])
        mgmt.actions.delete(action.id, force=True)
