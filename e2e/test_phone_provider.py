"""The tenant's custom phone provider against the real binary, as shipped: the outbox relay runs
on its own (the Swift tests drive it by hand), so this checks that an MFA code requested through
`/mfa/associate` reaches the `custom-phone-provider` action promptly without anything else
waking the relay, and that the code it carries finishes the login through `mfa-oob`. The action
POSTs the notification to an HTTP receiver on loopback (the stand-in for an SMS gateway).

The provider is tenant-wide: the test deletes it, restores the sms factor and empties the
trigger's bindings afterwards."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from auth0.management import Auth0

from support import HTTP_TIMEOUT, PASSWORD_REALM_GRANT, ActionSpec, App, DeployedAction, Server, User, unique
from test_mfa_api import MFA_OOB, MFA_OTP, bearer, mfa_token, require_mfa_for, token_request


class Gateway:
    """An HTTP receiver on loopback that keeps what the action posts, by recipient."""

    def __init__(self) -> None:
        self.messages: dict[str, dict[str, Any]] = {}
        self.arrived = threading.Condition()
        gateway = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                with gateway.arrived:
                    gateway.messages[body["recipient"]] = body
                    gateway.arrived.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"

    def wait_for(self, recipient: str, timeout: float = 30) -> dict[str, Any]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: recipient in self.messages, timeout=timeout), f"no message for {recipient}"
            return self.messages[recipient]


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    receiver = Gateway()
    yield receiver
    receiver.server.shutdown()


@pytest.fixture
def custom_phone_provider(gatehouse: Server, management_token: dict[str, Any], mgmt: Auth0) -> Iterator[str]:
    """A custom phone provider and the sms factor, removed and restored afterwards."""
    headers = bearer(management_token["access_token"])
    before = {factor.name: factor.enabled for factor in mgmt.guardian.factors.list()}
    mgmt.guardian.factors.set("sms", enabled=True)
    created = requests.post(
        gatehouse.url("/api/v2/branding/phone/providers"),
        json={"name": "custom", "configuration": {"delivery_methods": ["text"]}},
        headers=headers,
        timeout=HTTP_TIMEOUT,
    )
    assert created.status_code == 201, created.text
    provider_id = created.json()["id"]
    yield provider_id
    requests.delete(gatehouse.url(f"/api/v2/branding/phone/providers/{provider_id}"), headers=headers, timeout=HTTP_TIMEOUT)
    mgmt.guardian.factors.set("sms", enabled=before["sms"])
    requests.patch(
        gatehouse.url("/api/v2/actions/triggers/custom-phone-provider/bindings"),
        json={"bindings": []},
        headers=headers,
        timeout=HTTP_TIMEOUT,
    )


def test_mfa_code_through_the_custom_phone_provider(
    gatehouse: Server,
    mgmt: Auth0,
    bind_actions: Callable[..., list[DeployedAction]],
    make_user: Callable[..., User],
    gateway: Gateway,
    custom_phone_provider: str,
) -> None:
    name = unique("phone")
    created = mgmt.clients.create(
        name=name,
        app_type="regular_web",
        callbacks=[f"https://{name}.e2e.test/callback"],
        grant_types=["password", PASSWORD_REALM_GRANT, MFA_OTP, MFA_OOB],
        token_endpoint_auth_method="client_secret_post",
    )
    app = App(client_id=created.client_id, client_secret=created.client_secret, callback="", logout_url="", raw=created)
    user = make_user()
    bind_actions("post-login", ActionSpec(code=require_mfa_for(app.client_id), name="require-mfa"))
    bind_actions(
        "custom-phone-provider",
        ActionSpec(
            name="sms-gateway",
            code=(
                "exports.onExecuteCustomPhoneProvider = async (event, api) => {\n"
                f"  const response = await fetch({json.dumps(gateway.url)}, {{ method: 'POST',\n"
                "    headers: { 'content-type': 'application/json' },\n"
                "    body: JSON.stringify({ ...event.notification, user: event.user.user_id }) });\n"
                "  if (!response.ok) api.notification.retry('gateway said ' + response.status);\n"
                "};\n"
            ),
        ),
    )

    token = mfa_token(gatehouse, app, user)
    recipient = "+15555550142"
    associated = requests.post(
        gatehouse.url("/mfa/associate"),
        json={"authenticator_types": ["oob"], "oob_channels": ["sms"], "phone_number": recipient},
        headers=bearer(token),
        timeout=HTTP_TIMEOUT,
    )
    assert associated.status_code == 200, associated.text
    message = gateway.wait_for(recipient)
    assert message["message_type"] == "otp_enroll" and message["delivery_method"] == "text", message
    assert message["as_text"].startswith(message["code"]) and len(message["code"]) == 6
    assert message["user"].startswith("auth0|")

    tokens = token_request(
        gatehouse, app, grant_type=MFA_OOB, mfa_token=token, oob_code=associated.json()["oob_code"], binding_code=message["code"]
    )
    assert tokens.status_code == 200, tokens.text
    assert "access_token" in tokens.json()
