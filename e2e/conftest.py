"""Starts one real Gatehouse server for the whole session and provides the objects every test
needs: the issuer, the discovery document, the JWKS, a Management API client (auth0-python)
holding a token obtained with the bootstrap machine-to-machine client, and test applications.

Environment:
    GATEHOUSE_BIN               server binary (default: <repo>/.build/debug/gatehouse)
    GATEHOUSE_E2E_DATABASE_URL  database URL (default: a fresh SQLite file in a temp dir)
    GATEHOUSE_E2E_READY_TIMEOUT seconds to wait for GET /readyz (default: 30)
    GATEHOUSE_E2E_PORT          port to listen on (default: a free port)
    GATEHOUSE_E2E_MASTER_KEY    master key, base64 of 32 bytes (default: random)

The server stores its issuer and encrypts secrets with the master key on first start, so running
the suite a second time against the same database needs the same port and master key.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt as pyjwt
import pytest
import requests
from auth0.authentication import GetToken
from auth0.management import Auth0
from authlib.common.security import generate_token

from support import (
    ACTIONS_TIMEOUT_MS,
    BOOTSTRAP_CLIENT_ID,
    BOOTSTRAP_CLIENT_SECRET,
    DATABASE_CONNECTION,
    HTTP_TIMEOUT,
    PASSWORD_REALM_GRANT,
    TRIGGER_VERSIONS,
    ActionSpec,
    Api,
    App,
    Authorization,
    DeployedAction,
    Login,
    Server,
    User,
    query_params,
    rp_session,
    unique,
    verify_id_token_with_authlib,
    wait_until_built,
    without_query,
)

REPO_ROOT = Path(__file__).resolve().parent.parent

#: The real-browser fixtures (headless Chromium) and the loopback applications they talk to.
pytest_plugins = ["browser", "relying_party"]


_server: Server | None = None
_log_path: Path | None = None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_binary() -> Path:
    configured = os.environ.get("GATEHOUSE_BIN")
    path = Path(configured) if configured else REPO_ROOT / ".build" / "debug" / "gatehouse"
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


class SMTPCapture:
    """The suite's real SMTP server (e2e/smtp_capture.py: aiosmtpd with STARTTLS and AUTH):
    every message it accepts is a JSON file in `directory`."""

    USER = "mailer"
    PASSWORD = "s3cret-pass"

    def __init__(self, process: subprocess.Popen[str], port: int, ca_file: str, directory: Path) -> None:
        self.process = process
        self.port = port
        self.ca_file = ca_file
        self.directory = directory

    def messages(self) -> list[dict[str, Any]]:
        files = sorted(self.directory.glob("*.json"), key=lambda f: int(f.stem))
        return [json.loads(f.read_text()) for f in files]

    def wait_for(self, to: str, subject_contains: str = "", timeout: float = 30) -> dict[str, Any]:
        """The first message to `to` whose subject contains `subject_contains`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages():
                if to in message["rcpt_tos"] and subject_contains in message["subject"]:
                    return message
            time.sleep(0.1)
        raise AssertionError(f"no e-mail to {to} ({subject_contains!r}) within {timeout}s; got {self.messages()}")


@pytest.fixture(scope="session")
def smtp_capture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SMTPCapture]:
    directory = tmp_path_factory.mktemp("smtp")
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "smtp_capture.py"), str(directory), "--user", SMTPCapture.USER,
         "--password", SMTPCapture.PASSWORD],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.kill()
        pytest.exit("the SMTP capture server (e2e/smtp_capture.py) did not start", returncode=3)
    started = json.loads(line)
    yield SMTPCapture(process, started["port"], started["ca_file"], directory)
    if process.stdin is not None:
        process.stdin.close()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def gatehouse(tmp_path_factory: pytest.TempPathFactory, smtp_capture: SMTPCapture) -> Iterator[Server]:
    global _server, _log_path
    binary = _server_binary()
    if not binary.is_file() or not os.access(binary, os.X_OK):
        pytest.exit(
            f"Gatehouse binary not found at {binary}: build it (swift build) or set GATEHOUSE_BIN",
            returncode=3,
        )
    workdir = tmp_path_factory.mktemp("gatehouse")
    port = int(os.environ.get("GATEHOUSE_E2E_PORT") or _free_port())
    database_url = os.environ.get("GATEHOUSE_E2E_DATABASE_URL") or (
        f"sqlite://{workdir}/e2e.sqlite"  # workdir is absolute: sqlite:///tmp/...
    )
    issuer = f"http://127.0.0.1:{port}/"
    env = dict(os.environ)
    env.update(
        GATEHOUSE_BOOTSTRAP_CLIENT_ID=BOOTSTRAP_CLIENT_ID,
        GATEHOUSE_BOOTSTRAP_CLIENT_SECRET=BOOTSTRAP_CLIENT_SECRET,
        GATEHOUSE_MASTER_KEY=os.environ.get("GATEHOUSE_E2E_MASTER_KEY")
        or base64.b64encode(secrets.token_bytes(32)).decode(),
        # A short Actions flow budget, so that the timeout tests (test_post_login.py) are quick.
        GATEHOUSE_ACTIONS_TIMEOUT_MS=os.environ.get(
            "GATEHOUSE_ACTIONS_TIMEOUT_MS", str(ACTIONS_TIMEOUT_MS)
        ),
        # The SMTP capture server's self-signed certificate (test_account_email.py).
        GATEHOUSE_SMTP_CA_FILE=smtp_capture.ca_file,
    )
    command = [
        str(binary),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--issuer",
        issuer,
        "--database",
        database_url,
    ]
    log_path = workdir / "server.log"
    _log_path = log_path
    with log_path.open("wb") as log:
        log.write(("$ " + " ".join(command) + "\n").encode())
        log.flush()
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(process=process, port=port, log_path=log_path, database_url=database_url)

    timeout = float(os.environ.get("GATEHOUSE_E2E_READY_TIMEOUT", "30"))
    deadline = time.monotonic() + timeout
    last_error = "no attempt"
    ready = False
    while time.monotonic() < deadline:
        if process.poll() is not None:
            last_error = f"server exited with status {process.returncode}"
            break
        try:
            r = requests.get(server.url("/readyz"), timeout=2)
            if r.status_code == 200:
                ready = True
                break
            last_error = f"GET /readyz answered {r.status_code}: {r.text[:200]}"
        except requests.RequestException as e:
            last_error = f"GET /readyz failed: {e}"
        time.sleep(0.2)
    if not ready:
        _stop(process)
        pytest.exit(
            f"Gatehouse did not become ready ({last_error}; waited at most {timeout:.0f}s).\n"
            f"--- server log ({log_path}) ---\n{server.log_since(0)}",
            returncode=3,
        )

    _server = server
    try:
        yield server
    finally:
        _server = None
        crashed = process.poll() is not None
        _stop(process)
        if crashed:
            pytest.fail(
                f"Gatehouse exited during the suite with status {process.returncode}.\n"
                f"--- server log ({log_path}) ---\n{server.log_since(0)}"
            )


# --- order: tests that may delete anything run last -------------------------------------------


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `last` run after every other one (in their own order): they may delete or
    change any object of the shared server (schemathesis reuses identifiers it has seen)."""
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)


# --- attach the server's log to failing tests --------------------------------------------------


_log_offset_key = pytest.StashKey[int]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    item.stash[_log_offset_key] = _server.log_size() if _server else 0
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed and _server is not None:
        offset = item.stash.get(_log_offset_key, 0)
        report.sections.append(
            (f"gatehouse server log ({_server.log_path})", _server.log_since(offset))
        )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _log_path is not None:
        terminalreporter.write_line(f"gatehouse server log: {_log_path}")


# --- protocol metadata -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def issuer(gatehouse: Server) -> str:
    return gatehouse.issuer


@pytest.fixture(scope="session")
def discovery(gatehouse: Server) -> dict[str, Any]:
    r = requests.get(gatehouse.url("/.well-known/openid-configuration"), timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="session")
def jwks(discovery: dict[str, Any]) -> dict[str, Any]:
    r = requests.get(discovery["jwks_uri"], timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="session")
def jwks_client(discovery: dict[str, Any]) -> pyjwt.PyJWKClient:
    return pyjwt.PyJWKClient(discovery["jwks_uri"], cache_keys=True, timeout=HTTP_TIMEOUT)


# --- auth0-python clients ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def get_token(gatehouse: Server) -> Callable[..., GetToken]:
    """auth0-python's /oauth/token client for a given application, over plain HTTP."""

    def make(client_id: str, client_secret: str | None = None) -> GetToken:
        return GetToken(gatehouse.domain, client_id, client_secret=client_secret, protocol="http")

    return make


@pytest.fixture(scope="session")
def management_token(gatehouse: Server, get_token: Callable[..., GetToken]) -> dict[str, Any]:
    return get_token(BOOTSTRAP_CLIENT_ID, BOOTSTRAP_CLIENT_SECRET).client_credentials(
        audience=gatehouse.management_audience
    )


@pytest.fixture(scope="session")
def management_client(gatehouse: Server) -> Callable[[str], Auth0]:
    """auth0-python's Management API client for a given access token. Retries are off so that
    a 409 or 5xx is reported as it happened."""

    def make(token: str) -> Auth0:
        return Auth0(base_url=f"{gatehouse.issuer}api/v2", token=token, max_retries=0, timeout=30)

    return make


@pytest.fixture(scope="session")
def mgmt(management_token: dict[str, Any], management_client: Callable[[str], Auth0]) -> Auth0:
    return management_client(management_token["access_token"])


# --- test tenant objects, created through the Management API -----------------------------------


@pytest.fixture(scope="session")
def api(mgmt: Auth0) -> Api:
    """A resource server with two scopes that allows refresh tokens (Auth0 issues a refresh token
    for an API audience only when the API has allow_offline_access)."""
    name = unique("orders-api")
    created = mgmt.resource_servers.create(
        identifier=f"https://{name}.e2e.test/",
        name=name,
        allow_offline_access=True,
        scopes=[
            {"value": "read:orders", "description": "Read orders"},
            {"value": "write:orders", "description": "Create and change orders"},
        ],
    )
    return Api(
        id=created.id,
        identifier=created.identifier,
        scopes=["read:orders", "write:orders"],
        raw=created,
    )


WEB_APP_GRANT_TYPES = [
    "authorization_code",
    "refresh_token",
    "password",
    PASSWORD_REALM_GRANT,
    "client_credentials",
]


@pytest.fixture(scope="session")
def web_app(make_web_app: Callable[..., App]) -> App:
    """A confidential regular web application, allowed every grant the suite uses, with a client
    grant for `api` limited to read:orders."""
    return make_web_app()


@pytest.fixture(scope="session")
def spa_app(mgmt: Auth0) -> App:
    """A public single-page application (no secret, PKCE required)."""
    name = unique("spa")
    callback = f"https://{name}.e2e.test/callback"
    logout_url = f"https://{name}.e2e.test/"
    created = mgmt.clients.create(
        name=name,
        app_type="spa",
        callbacks=[callback],
        allowed_logout_urls=[logout_url],
        grant_types=["authorization_code", "refresh_token"],
        token_endpoint_auth_method="none",
    )
    return App(
        client_id=created.client_id,
        client_secret=None,
        callback=callback,
        logout_url=logout_url,
        raw=created,
    )


@pytest.fixture(scope="session")
def make_user(mgmt: Auth0) -> Callable[..., User]:
    """Creates a user in the database connection through the Management API."""

    def make(**extra: Any) -> User:
        email = extra.pop("email", None) or f"{unique('user')}@e2e.test"
        password = extra.pop("password", None) or "Corr3ct-Horse-" + secrets.token_hex(4)
        created = mgmt.users.create(
            connection=DATABASE_CONNECTION, email=email, password=password, **extra
        )
        return User(user_id=created.user_id, email=created.email, password=password)

    return make


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user(email_verified=True)


# --- the relying party: authorization requests and code redemption ---------------------------


@pytest.fixture
def authorize(discovery: dict[str, Any], api: Api) -> Callable[..., Authorization]:
    def make(app: App, **extra: Any) -> Authorization:
        oauth = rp_session(app)
        verifier = generate_token(48)
        nonce = generate_token(20)
        extra.setdefault("audience", api.identifier)
        url, state = oauth.create_authorization_url(
            discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **extra
        )
        return Authorization(oauth=oauth, url=url, state=state, nonce=nonce, code_verifier=verifier)

    return make


@pytest.fixture
def redeem(
    discovery: dict[str, Any], jwks: dict[str, Any], issuer: str
) -> Callable[[Authorization, str], Login]:
    """Checks the redirect back to the app and exchanges the code, as the RP does."""

    def run(authz: Authorization, redirect: str) -> Login:
        assert without_query(redirect) == authz.oauth.redirect_uri, redirect
        params = query_params(redirect)
        assert "error" not in params, params
        assert params.get("state") == authz.state, params
        assert params.get("code"), params
        token = authz.oauth.fetch_token(
            discovery["token_endpoint"],
            authorization_response=redirect,
            state=authz.state,
            code_verifier=authz.code_verifier,
        )
        assert "id_token" in token, (
            f"token response without id_token (granted scope {token.get('scope')!r}): "
            f"{sorted(token)}"
        )
        claims = verify_id_token_with_authlib(
            token["id_token"],
            jwks,
            issuer=issuer,
            client_id=authz.oauth.client_id,
            nonce=authz.nonce,
            access_token=token["access_token"],
            essential=("auth_time", "sid", "nonce"),
        )
        return Login(authorization=authz, token=dict(token), id_claims=claims)

    return run


@pytest.fixture(scope="session")
def make_web_app(mgmt: Auth0, api: Api) -> Callable[..., App]:
    """Creates a confidential regular web application like `web_app` (every grant the suite
    uses, a client grant for `api` limited to read:orders), with optional `client_metadata`.
    Tests that read the tenant log give themselves an application of their own, so that the
    log events they look for are the ones with its client_id."""

    def make(client_metadata: dict[str, str] | None = None) -> App:
        name = unique("app")
        callback = f"https://{name}.e2e.test/callback"
        logout_url = f"https://{name}.e2e.test/logged-out"
        extra: dict[str, Any] = {}
        if client_metadata is not None:
            extra["client_metadata"] = client_metadata
        created = mgmt.clients.create(
            name=name,
            app_type="regular_web",
            callbacks=[callback],
            allowed_logout_urls=[logout_url],
            grant_types=WEB_APP_GRANT_TYPES,
            token_endpoint_auth_method="client_secret_post",
            **extra,
        )
        mgmt.client_grants.create(
            client_id=created.client_id, audience=api.identifier, scope=["read:orders"]
        )
        return App(
            client_id=created.client_id,
            client_secret=created.client_secret,
            callback=callback,
            logout_url=logout_url,
            raw=created,
        )

    return make


# --- Actions: deployed and bound for one test ----------------------------------------------------

#: The triggers whose bindings `bind_actions` empties after every test that uses it.
RESET_TRIGGERS = ("post-login", "credentials-exchange")


@pytest.fixture
def bind_actions(mgmt: Auth0) -> Iterator[Callable[..., list[DeployedAction]]]:
    """Creates, builds, deploys and binds actions to a trigger, in the order given, through the
    Management API (auth0-python), as an IaC tool does. Bindings are global to the one server
    the suite shares, so at teardown every trigger in RESET_TRIGGERS (and any other one the
    test bound) is left with no bindings, and the test's actions are deleted.

    `bind(trigger, *specs)`: each spec is an `ActionSpec` or just the code. Returns the
    deployed actions, in binding order."""
    created: list[str] = []
    triggers: set[str] = set(RESET_TRIGGERS)

    def bind(trigger: str, *specs: ActionSpec | str) -> list[DeployedAction]:
        triggers.add(trigger)
        deployed: list[DeployedAction] = []
        bindings: list[dict[str, Any]] = []
        for spec in specs:
            if isinstance(spec, str):
                spec = ActionSpec(code=spec)
            name = unique(spec.name or "action")
            extra: dict[str, Any] = {}
            if spec.secrets:
                extra["secrets"] = [{"name": k, "value": v} for k, v in spec.secrets.items()]
            action = mgmt.actions.create(
                name=name,
                supported_triggers=[{"id": trigger, "version": TRIGGER_VERSIONS[trigger]}],
                code=spec.code,
                **extra,
            )
            created.append(action.id)
            built = wait_until_built(mgmt, action.id)
            assert built.status == "built", f"action {name} did not build: {built.model_dump()}"
            version = mgmt.actions.deploy(action.id)
            deployed.append(DeployedAction(id=action.id, name=name, version_id=version.id))
            # Plain dicts, so that Gatehouse's fail_open extension reaches the server as is.
            binding: dict[str, Any] = {
                "ref": {"type": "action_id", "value": action.id},
                "display_name": name,
            }
            if spec.fail_open is not None:
                binding["fail_open"] = spec.fail_open
            bindings.append(binding)
        bound = mgmt.actions.triggers.bindings.update_many(trigger, bindings=bindings)
        assert [b.action.id for b in bound.bindings] == [d.id for d in deployed], bound
        return deployed

    yield bind

    problems: list[str] = []
    for trigger in sorted(triggers):
        try:
            mgmt.actions.triggers.bindings.update_many(trigger, bindings=[])
        except Exception as e:  # noqa: BLE001 - report every cleanup failure, then fail
            problems.append(f"unbinding {trigger}: {e!r}")
    for action_id in created:
        try:
            mgmt.actions.delete(action_id, force=True)
        except Exception as e:  # noqa: BLE001
            problems.append(f"deleting action {action_id}: {e!r}")
    if problems:
        pytest.fail("bind_actions cleanup failed: " + "; ".join(problems))


@pytest.fixture
def factors_restored(mgmt: Auth0) -> Iterator[None]:
    """Leaves the tenant's MFA factors and phone provider as the test found them (the suite
    shares one server)."""
    before = {factor.name: factor.enabled for factor in mgmt.guardian.factors.list()}
    provider = mgmt.guardian.factors.phone.get_selected_provider().provider
    yield
    for name in ("otp", "sms", "recovery-code"):
        mgmt.guardian.factors.set(name, enabled=before[name])
    mgmt.guardian.factors.phone.set_provider(provider=provider)
