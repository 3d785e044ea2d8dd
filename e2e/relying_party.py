"""Small web applications on loopback for the browser tests, each an HTTP server in a thread:

- `RelyingParty`: an OpenID Connect client (Authlib) registered as a regular web application. The
  browser starts a login at its /login (code flow with PKCE, `state` and `nonce`); its /callback
  exchanges the code with Authlib, verifies the ID token against the JWKS and keeps what it got
  for the test (`wait_for_login()`); its /logged-out page is the return address of a logout.
- `RedirectTarget`: where a post-login action sends the browser (`api.redirect.sendUserTo`). It
  verifies the `session_token` the action gives (HS256, shared secret, PyJWT) and sends the
  browser back to `<issuer>continue` with `state` and a `session_token` of its own (claims `sub`,
  `state`, `iss`, `iat`, `exp` and the test's custom claims), by a GET redirect or by an
  auto-submitted cross-site POST form (Auth0 recommends POST).
- `RequestRecorder`: records every request it gets and answers 200 (a webhook, an SMS gateway).

The applications are served as http://localhost:PORT (listening on 127.0.0.1), so they are another
site than the server under test (http://127.0.0.1:PORT): navigations and form posts between them
are cross-site, as between a real application and its identity server.

Loaded by conftest.py as a plugin: the fixtures are `make_relying_party` / `relying_party`,
`make_redirect_target` and `make_request_recorder`. Every `wait_for_*` raises with the
application's own error (a traceback, a refused token) when it failed to handle a request.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt as pyjwt
import pytest
from auth0.management import Auth0
from authlib.common.security import generate_token

from support import (
    HTTP_TIMEOUT,
    RP_SCOPE,
    App,
    Authorization,
    Login,
    rp_session,
    unique,
    verify_id_token_with_authlib,
)

#: The host name the loopback applications are reached by: not the issuer's 127.0.0.1, so that
#: they are another site (SameSite cookies behave as with a real application).
APP_HOST = "localhost"
#: Seconds a `wait_for_*` waits by default.
WAIT_TIMEOUT = 5.0

T = TypeVar("T")


# --- the loopback HTTP server --------------------------------------------------------------------


@dataclass
class Request:
    """One request a loopback application received."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def params(self) -> dict[str, str]:
        """The query and form parameters together (the form wins)."""
        return {**self.query, **self.form}

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Response:
    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"


def redirect(location: str) -> Response:
    return Response(302, headers={"Location": location})


#: The start of every page the applications serve (no favicon, so no request for one).
HEAD = '<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">'


def page(title: str, body: str, body_attributes: str = "") -> Response:
    return Response(
        body=f"{HEAD}<title>{html.escape(title)}</title></head>"
        f"<body{body_attributes}>{body}</body></html>"
    )


def _first_values(raw: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}


class _Events(Generic[T]):
    """What an application recorded, for a test to wait on in order."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._items: list[T] = []
        self._taken = 0
        self._changed = threading.Condition()

    def add(self, item: T) -> None:
        with self._changed:
            self._items.append(item)
            self._changed.notify_all()

    @property
    def all(self) -> list[T]:
        with self._changed:
            return list(self._items)

    def next(self, timeout: float) -> T:
        """The oldest item no `next` has returned yet, waiting for it if need be."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._items) > self._taken, timeout):
                raise AssertionError(f"no {self._what} within {timeout}s")
            self._taken += 1
            return self._items[self._taken - 1]


class LoopbackApp:
    """A threaded HTTP server on 127.0.0.1 (a free port), reached as http://APP_HOST:PORT.
    Subclasses answer in `handle`; an exception there is recorded in `problems` and answered
    with 500."""

    def __init__(self, host: str = APP_HOST) -> None:
        app = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._serve()

            def do_POST(self) -> None:  # noqa: N802
                self._serve()

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                form: dict[str, str] = {}
                if self.headers.get_content_type() == "application/x-www-form-urlencoded":
                    form = _first_values(body.decode("utf-8", "replace"))
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=_first_values(parts.query),
                    form=form,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                app.requests.append(request)
                try:
                    response = app.handle(request)
                except Exception:  # noqa: BLE001 - reported to the test by wait_for_*
                    problem = traceback.format_exc()
                    app.problems.append(problem)
                    response = Response(500, body=html.escape(problem), content_type="text/plain")
                payload = response.body.encode()
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Cache-Control", "no-store")
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # the requests are in app.requests

        self.requests: list[Request] = []
        self.problems: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{self.port}",
            daemon=True,
        )
        self._thread.start()

    def url(self, path: str) -> str:
        return self.base_url + path

    def handle(self, request: Request) -> Response:
        return Response(404, body="not found", content_type="text/plain")

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def check(self) -> None:
        """Fails if the application could not handle a request."""
        if self.problems:
            raise AssertionError(f"{type(self).__name__} failed:\n" + "\n".join(self.problems))


# --- the relying party ---------------------------------------------------------------------------


@dataclass
class Callback:
    """What arrived at the relying party's callback: a verified login, or an OAuth error
    (`error`, `error_description`) sent back by the server."""

    request: Request
    authorization: Authorization | None
    login: Login | None

    @property
    def params(self) -> dict[str, str]:
        return self.request.params

    @property
    def error(self) -> str | None:
        return self.params.get("error")


class RelyingParty(LoopbackApp):
    """A regular web application that logs users in with Authlib. `register(mgmt)` creates its
    client in the server (callback and logout URLs on this loopback server); the fixtures do
    that.

        browser.get(rp.login_url())            # /login -> /authorize -> the hosted page ...
        login = rp.wait_for_login()            # ... -> /callback: code exchanged, ID token checked
        login.id_claims["sub"]
    """

    def __init__(
        self,
        *,
        discovery: dict[str, Any],
        jwks: dict[str, Any],
        issuer: str,
        scope: str = RP_SCOPE,
        host: str = APP_HOST,
    ) -> None:
        super().__init__(host)
        self.discovery = discovery
        self.jwks = jwks
        self.issuer = issuer
        self.scope = scope
        self.callback_url = self.url("/callback")
        self.logged_out_url = self.url("/logged-out")
        self.app: App | None = None
        self._pending: dict[str, Authorization] = {}
        self._lock = threading.Lock()
        self.callbacks: _Events[Callback] = _Events("callback at the relying party")
        self.logouts: _Events[Request] = _Events("return to the relying party after logout")
        self.last_login: Login | None = None

    def register(self, mgmt: Auth0, **client: Any) -> App:
        """Creates this application's client (a confidential regular web app; `client` adds or
        overrides Management API fields)."""
        fields: dict[str, Any] = {
            "name": unique("browser-rp"),
            "app_type": "regular_web",
            "callbacks": [self.callback_url],
            "allowed_logout_urls": [self.logged_out_url],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "client_secret_post",
        }
        fields.update(client)
        created = mgmt.clients.create(**fields)
        self.app = App(
            client_id=created.client_id,
            client_secret=created.client_secret,
            callback=self.callback_url,
            logout_url=self.logged_out_url,
            raw=created,
        )
        return self.app

    # -- what a test calls --

    def authorization(self, **params: Any) -> Authorization:
        """Prepares an authorization request (PKCE S256, state, nonce); `params` are added to
        /authorize (audience, prompt, max_age, response_mode=form_post, ...)."""
        assert self.app is not None, "register() the relying party first"
        oauth = rp_session(self.app, scope=params.pop("scope", self.scope))
        verifier = generate_token(48)
        nonce = generate_token(20)
        url, state = oauth.create_authorization_url(
            self.discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **params
        )
        authz = Authorization(
            oauth=oauth, url=url, state=state, nonce=nonce, code_verifier=verifier
        )
        with self._lock:
            self._pending[state] = authz
        return authz

    def login_url(self, **params: Any) -> str:
        """Where the browser starts a login: this application's /login, which redirects to
        /authorize (so the request comes from this site, as a real sign-in button's does)."""
        return self.url("/login?" + urlencode({"state": self.authorization(**params).state}))

    def wait_for_callback(self, timeout: float = WAIT_TIMEOUT) -> Callback:
        """The next request to /callback, handled (code exchanged and ID token verified)."""
        try:
            callback = self.callbacks.next(timeout)
        finally:
            self.check()
        return callback

    def wait_for_login(self, timeout: float = WAIT_TIMEOUT) -> Login:
        """The next callback, which must be a successful login."""
        callback = self.wait_for_callback(timeout)
        assert callback.login is not None, f"the login failed: {callback.params}"
        return callback.login

    def logout_url(self, login: Login | None = None, *, endpoint: str = "oidc") -> str:
        """The server's logout URL returning to /logged-out: `oidc` is RP-initiated logout with
        the ID token of `login` (default: the last one) as hint, `v2` is Auth0's /v2/logout."""
        assert self.app is not None, "register() the relying party first"
        if endpoint == "v2":
            query = {"client_id": self.app.client_id, "returnTo": self.logged_out_url}
            return f"{self.issuer}v2/logout?{urlencode(query)}"
        login = login or self.last_login
        assert login is not None, "no login to log out of"
        query = {
            "id_token_hint": login.token["id_token"],
            "post_logout_redirect_uri": self.logged_out_url,
            "client_id": self.app.client_id,
        }
        return f"{self.discovery['end_session_endpoint']}?{urlencode(query)}"

    def wait_for_logout(self, timeout: float = WAIT_TIMEOUT) -> Request:
        try:
            return self.logouts.next(timeout)
        finally:
            self.check()

    # -- the application --

    def handle(self, request: Request) -> Response:
        if request.path == "/login":
            with self._lock:
                authz = self._pending.get(request.query.get("state", ""))
            if authz is None:
                return page("Unknown login", "<p id=error>unknown login</p>")
            return redirect(authz.url)
        if request.path == "/callback":
            return self._callback(request)
        if request.path == "/logged-out":
            self.logouts.add(request)
            return page("Logged out", "<h1 id=logged-out>Logged out</h1>")
        return super().handle(request)

    def _callback(self, request: Request) -> Response:
        params = request.params
        with self._lock:
            authz = self._pending.pop(params.get("state", ""), None)
        if "error" in params:
            self.callbacks.add(Callback(request=request, authorization=authz, login=None))
            return page(
                "Login failed",
                f"<p id=error>{html.escape(params['error'])}: "
                f"{html.escape(params.get('error_description', ''))}</p>",
            )
        if authz is None:
            raise AssertionError(f"callback with an unknown state: {params}")
        assert params.get("code"), f"callback without code: {params}"
        token = authz.oauth.fetch_token(
            self.discovery["token_endpoint"],
            grant_type="authorization_code",
            code=params["code"],
            state=authz.state,
            code_verifier=authz.code_verifier,
            timeout=HTTP_TIMEOUT,
        )
        assert "id_token" in token, f"token response without id_token: {sorted(token)}"
        assert self.app is not None
        claims = verify_id_token_with_authlib(
            token["id_token"],
            self.jwks,
            issuer=self.issuer,
            client_id=self.app.client_id,
            nonce=authz.nonce,
            access_token=token["access_token"],
            essential=("auth_time", "sid", "nonce"),
        )
        login = Login(authorization=authz, token=dict(token), id_claims=claims)
        self.last_login = login
        self.callbacks.add(Callback(request=request, authorization=authz, login=login))
        return page(
            "Signed in",
            f"<h1 id=signed-in>Signed in as {html.escape(str(claims.get('sub')))}</h1>"
            f"<pre id=claims>{html.escape(json.dumps(claims, indent=2, sort_keys=True))}</pre>",
        )


# --- the redirect target of api.redirect.sendUserTo ----------------------------------------------


@dataclass
class Visit:
    """The browser's visit to the redirect target: what it brought and what it was sent back
    with. `token_claims` is the verified `session_token` from the action (None if it had none);
    `continue_fields` are the fields sent to /continue (None if the target did not continue)."""

    request: Request
    state: str | None
    token_claims: dict[str, Any] | None
    continue_fields: dict[str, str] | None = None
    problem: str | None = None

    @property
    def params(self) -> dict[str, str]:
        return self.request.params


class RedirectTarget(LoopbackApp):
    """A page an action redirects to (`api.redirect.sendUserTo(target.redirect_url, {query:
    {session_token}})`). It verifies the `session_token` with `secret` (HS256: signature, `exp`,
    `sub` present; `iss` too if `expected_issuer` is given), then sends the browser back to the
    server's /continue with `state` and its own `session_token` signed with `return_secret`
    (default: `secret`): claims `sub` (the incoming token's), `state`, `iss` (this
    application's URL), `iat`, `exp` (in 5 minutes) and `claims` (a dict, or a function of the
    `Visit` returning one; it may override any of the others).

    `method="post"`: back by an auto-submitted form POST (a cross-site POST, as Auth0
    recommends), "get": by a 302. `auto_continue=False`: the target shows a page with a
    "Continue" button (`#continue`) instead, for a test that acts before (or instead of)
    continuing. `continue_fields(visit, fields)` may change the fields sent (a tampered state, a
    missing token). A token that fails verification is reported by `wait_for_visit` and the
    browser is not sent back."""

    def __init__(
        self,
        *,
        issuer: str,
        secret: str | None = None,
        return_secret: str | None = None,
        claims: dict[str, Any] | Callable[[Visit], dict[str, Any]] | None = None,
        method: str = "post",
        token_parameter: str = "session_token",
        require_token: bool = True,
        expected_issuer: str | None = None,
        continue_url: str | None = None,
        continue_fields: Callable[[Visit, dict[str, str]], dict[str, str]] | None = None,
        auto_continue: bool = True,
        host: str = APP_HOST,
    ) -> None:
        assert method in ("get", "post"), method
        super().__init__(host)
        self.secret = secret or secrets.token_urlsafe(32)
        self.return_secret = return_secret or self.secret
        self.claims = claims
        self.method = method
        self.token_parameter = token_parameter
        self.require_token = require_token
        self.expected_issuer = expected_issuer
        self.continue_url = continue_url or f"{issuer}continue"
        self.continue_fields = continue_fields
        self.auto_continue = auto_continue
        #: The URL to give `api.redirect.sendUserTo`.
        self.redirect_url = self.url("/redirect")
        self.visits: _Events[Visit] = _Events("visit to the redirect target")

    def wait_for_visit(self, timeout: float = WAIT_TIMEOUT) -> Visit:
        """The next visit; fails if the target refused it (a bad or missing session_token)."""
        try:
            visit = self.visits.next(timeout)
        finally:
            self.check()
        assert visit.problem is None, f"the redirect target refused the visit: {visit.problem}"
        return visit

    def encode(self, claims: dict[str, Any], secret: str | None = None) -> str:
        """A session_token as this target signs them (HS256)."""
        return pyjwt.encode(claims, secret or self.return_secret, algorithm="HS256")

    def handle(self, request: Request) -> Response:
        if request.path != "/redirect":
            return super().handle(request)
        params = request.params
        visit = Visit(request=request, state=params.get("state"), token_claims=None)
        try:
            if not visit.state:
                raise ValueError("no state parameter")
            token = params.get(self.token_parameter)
            if token:
                options: dict[str, Any] = {"require": ["sub", "exp"]}
                extra: dict[str, Any] = {}
                if self.expected_issuer is not None:
                    options["require"].append("iss")
                    extra["issuer"] = self.expected_issuer
                visit.token_claims = pyjwt.decode(
                    token, self.secret, algorithms=["HS256"], options=options, leeway=5, **extra
                )
            elif self.require_token:
                raise ValueError(f"no {self.token_parameter} parameter")
        except (ValueError, pyjwt.PyJWTError) as e:
            visit.problem = f"{type(e).__name__}: {e} (parameters: {params})"
            self.visits.add(visit)
            return page("Refused", f"<p id=error>{html.escape(visit.problem)}</p>")

        now = int(time.time())
        outgoing: dict[str, Any] = {
            "iss": self.base_url,
            "iat": now,
            "exp": now + 300,
            "state": visit.state,
        }
        if visit.token_claims is not None:
            outgoing["sub"] = visit.token_claims["sub"]
        custom = self.claims(visit) if callable(self.claims) else (self.claims or {})
        outgoing.update(custom)
        fields = {"state": visit.state, self.token_parameter: self.encode(outgoing)}
        if self.continue_fields is not None:
            fields = self.continue_fields(visit, fields)
        visit.continue_fields = fields
        self.visits.add(visit)
        return self._send_back(fields)

    def _send_back(self, fields: dict[str, str]) -> Response:
        if self.method == "get" and self.auto_continue:
            return redirect(f"{self.continue_url}?{urlencode(fields)}")
        inputs = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in fields.items()
        )
        form = (
            f'<form id="continue-form" method="{self.method}" '
            f'action="{html.escape(self.continue_url)}">{inputs}'
            '<button type="submit" id="continue">Continue</button></form>'
        )
        onload = ' onload="document.forms[0].submit()"' if self.auto_continue else ""
        return page("Redirect target", f"<h1>Redirect target</h1>{form}", onload)


# --- a receiver for webhooks ---------------------------------------------------------------------


class RequestRecorder(LoopbackApp):
    """Records every request (`wait_for_request`) and answers `response` (default 200 `{}`):
    a webhook or an SMS gateway for an action to call, or a stand-in for /continue."""

    def __init__(self, response: Response | None = None, host: str = APP_HOST) -> None:
        super().__init__(host)
        self.response = response or Response(body="{}", content_type="application/json")
        self.received: _Events[Request] = _Events("request to the recorder")

    def handle(self, request: Request) -> Response:
        if request.path == "/favicon.ico":  # a browser's, after a page from here
            return super().handle(request)
        self.received.add(request)
        return self.response

    def wait_for_request(self, timeout: float = WAIT_TIMEOUT) -> Request:
        try:
            return self.received.next(timeout)
        finally:
            self.check()


# --- fixtures ------------------------------------------------------------------------------------


class _Closing:
    def __init__(self) -> None:
        self.apps: list[LoopbackApp] = []

    def keep(self, app: Any) -> Any:
        self.apps.append(app)
        return app

    def close(self) -> None:
        for app in self.apps:
            app.close()


@pytest.fixture
def make_relying_party(
    mgmt: Auth0, discovery: dict[str, Any], jwks: dict[str, Any], issuer: str
) -> Iterator[Callable[..., RelyingParty]]:
    """`make(scope=..., **client)`: a started, registered `RelyingParty`; `client` adds or
    overrides fields of its client (e.g. client_metadata). Stopped after the test."""
    apps = _Closing()

    def make(*, scope: str = RP_SCOPE, **client: Any) -> RelyingParty:
        rp = apps.keep(RelyingParty(discovery=discovery, jwks=jwks, issuer=issuer, scope=scope))
        rp.register(mgmt, **client)
        return rp

    yield make
    apps.close()


@pytest.fixture
def relying_party(make_relying_party: Callable[..., RelyingParty]) -> RelyingParty:
    return make_relying_party()


@pytest.fixture
def make_redirect_target(issuer: str) -> Iterator[Callable[..., RedirectTarget]]:
    """`make(**options)`: a started `RedirectTarget` for the server under test (see its
    options). Stopped after the test."""
    apps = _Closing()

    def make(**options: Any) -> RedirectTarget:
        return apps.keep(RedirectTarget(issuer=issuer, **options))

    yield make
    apps.close()


@pytest.fixture
def make_request_recorder() -> Iterator[Callable[..., RequestRecorder]]:
    apps = _Closing()

    def make(**options: Any) -> RequestRecorder:
        return apps.keep(RequestRecorder(**options))

    yield make
    apps.close()
