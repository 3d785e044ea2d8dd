"""The outbox survives a crash (issue 18, DESIGN.md "Tenant events and an outbox"): a sign-up
answered by a server that is then killed with SIGKILL before its post-user-registration action
finished is delivered after a restart on the same database, at least once, with the same
idempotency key, so the receiver can drop the repeat.

The test runs a server of its own (the shared one must not be killed): a SQLite file, a fixed
port and master key, so the restarted server is the same tenant."""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from auth0.authentication import Database, GetToken
from auth0.management import Auth0

from conftest import _server_binary, _stop
from relying_party import RequestRecorder, Request, Response
from support import (
    ACTIONS_TIMEOUT_MS,
    BOOTSTRAP_CLIENT_ID,
    BOOTSTRAP_CLIENT_SECRET,
    DATABASE_CONNECTION,
    TRIGGER_VERSIONS,
    unique,
    wait_until_built,
)

#: How long a crashed instance's claim holds its row: 5 flow budgets + 10 s
#: (`IdentityServices.relaySettings`), then the poll (2 s) finds it.
LEASE_SECONDS = 5 * ACTIONS_TIMEOUT_MS / 1000 + 10
REDELIVERY_TIMEOUT = LEASE_SECONDS + 20

WEBHOOK = """
exports.onExecutePostUserRegistration = async (event, api) => {
  const response = await fetch(event.secrets.WEBHOOK_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': event.delivery.idempotency_key },
    body: JSON.stringify({
      user_id: event.user.user_id, email: event.user.email, attempt: event.delivery.attempt,
      key: event.delivery.idempotency_key,
    }),
  });
  if (!response.ok) throw new Error('the webhook answered ' + response.status);
};
"""


class HoldingRecorder(RequestRecorder):
    """Records every request; holds the answer to the first one until `release` is set, so
    that the server can be killed while its action waits."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self._first = True
        self._lock = threading.Lock()

    def handle(self, request: Request) -> Response:
        self.received.add(request)
        with self._lock:
            first, self._first = self._first, False
        if first:
            self.release.wait(60)
        return self.response


class DedicatedServer:
    """`gatehouse serve` on a SQLite file, restartable on the same database."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.database = workdir / "outbox.sqlite"
        self.master_key = base64.b64encode(secrets.token_bytes(32)).decode()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "server.log"

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> None:
        env = dict(os.environ)
        env.update(
            GATEHOUSE_BOOTSTRAP_CLIENT_ID=BOOTSTRAP_CLIENT_ID,
            GATEHOUSE_BOOTSTRAP_CLIENT_SECRET=BOOTSTRAP_CLIENT_SECRET,
            GATEHOUSE_MASTER_KEY=self.master_key,
            GATEHOUSE_ACTIONS_TIMEOUT_MS=str(ACTIONS_TIMEOUT_MS),
            GATEHOUSE_SANDBOX_WARMUP_FLOWS="0",
        )
        command = [
            str(_server_binary()), "serve", "--host", "127.0.0.1", "--port", str(self.port),
            "--issuer", self.issuer, "--database", f"sqlite://{self.database}",
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=self.workdir, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the server exited: {self.log()}"
            try:
                if requests.get(self.issuer + "readyz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the server did not become ready: {self.log()}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def outbox_row(self, key: str) -> dict[str, Any] | None:
        with sqlite3.connect(self.database) as db:
            db.row_factory = sqlite3.Row
            row = db.execute("SELECT * FROM outbox WHERE idempotency_key = ?", (key,)).fetchone()
            return dict(row) if row else None


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DedicatedServer]:
    dedicated = DedicatedServer(tmp_path)
    dedicated.start()
    yield dedicated
    dedicated.stop()


@pytest.fixture
def webhook() -> Iterator[HoldingRecorder]:
    recorder = HoldingRecorder()
    yield recorder
    recorder.release.set()
    recorder.close()


def _management(server: DedicatedServer) -> Auth0:
    domain = f"127.0.0.1:{server.port}"
    token = GetToken(domain, BOOTSTRAP_CLIENT_ID, client_secret=BOOTSTRAP_CLIENT_SECRET, protocol="http").client_credentials(
        audience=f"{server.issuer}api/v2/"
    )
    return Auth0(base_url=f"{server.issuer}api/v2", token=token["access_token"], max_retries=0, timeout=30)


def _bind_webhook(mgmt: Auth0, url: str) -> None:
    trigger = "post-user-registration"
    action = mgmt.actions.create(
        name=unique("welcome-webhook"),
        supported_triggers=[{"id": trigger, "version": TRIGGER_VERSIONS[trigger]}],
        code=WEBHOOK,
        secrets=[{"name": "WEBHOOK_URL", "value": url}],
    )
    assert wait_until_built(mgmt, action.id).status == "built"
    mgmt.actions.deploy(action.id)
    mgmt.actions.triggers.bindings.update_many(
        trigger, bindings=[{"ref": {"type": "action_id", "value": action.id}, "display_name": "welcome-webhook"}]
    )


def test_a_sign_up_is_delivered_after_the_server_is_killed_before_its_delivery(
    server: DedicatedServer, webhook: HoldingRecorder
) -> None:
    mgmt = _management(server)
    _bind_webhook(mgmt, webhook.base_url + "/users")
    app = mgmt.clients.create(name=unique("signup-app"), app_type="regular_web", callbacks=["https://app.example/cb"])
    email = f"{unique('crash')}@e2e.test"

    signed_up = Database(f"127.0.0.1:{server.port}", app.client_id, protocol="http").signup(
        email=email, password="Corr3ct-Horse-" + secrets.token_hex(4), connection=DATABASE_CONNECTION
    )
    user_id = "auth0|" + signed_up["_id"]
    key = f"post-user-registration:{user_id}"

    # The first delivery reached the receiver, which holds its answer: the action has not
    # finished, and the server dies now.
    first = webhook.received.next(timeout=30)
    server.kill()
    webhook.release.set()
    row = server.outbox_row(key)
    assert row is not None and row["state"] == "pending" and row["attempts"] == 1, row

    server.start()
    second = webhook.received.next(timeout=REDELIVERY_TIMEOUT)
    delivered = [json.loads(request.body) for request in (first, second)]
    assert [d["user_id"] for d in delivered] == [user_id, user_id]
    assert [d["email"] for d in delivered] == [email, email]
    assert [d["attempt"] for d in delivered] == [1, 2]
    # The receiver can tell it is the same registration.
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"] == key

    deadline = time.monotonic() + 10
    while (row := server.outbox_row(key)) is not None and row["state"] != "delivered" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert row is not None and row["state"] == "delivered" and row["attempts"] == 2, (row, server.log())
