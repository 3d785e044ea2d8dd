"""Helpers shared by the end-to-end tests: a scripted browser, an HTML form reader and token
verification with the clients' own libraries. Nothing here talks to Gatehouse internals; it only
does what a user agent or a relying party would do."""

from __future__ import annotations

import subprocess
import time
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import jwt as pyjwt
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

HTTP_TIMEOUT = 15
REDIRECT_STATUSES = (301, 302, 303, 307, 308)

#: Auth0's grant type for the password grant restricted to one connection.
PASSWORD_REALM_GRANT = "http://auth0.com/oauth/grant-type/password-realm"
DATABASE_CONNECTION = "Username-Password-Authentication"

#: Credentials the suite gives the server for its bootstrap machine-to-machine client.
BOOTSTRAP_CLIENT_ID = "e2e-bootstrap-m2m"
BOOTSTRAP_CLIENT_SECRET = "e2e-bootstrap-secret-" + "x" * 32
LOG_TAIL_LINES = 200

#: The Actions flow time budget the suite starts the server with (GATEHOUSE_ACTIONS_TIMEOUT_MS,
#: unless set in the environment), short so that the timeout tests are quick.
ACTIONS_TIMEOUT_MS = 3000


def unique(prefix: str = "e2e") -> str:
    """A short unique token, so the suite can run twice against one database."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def query_params(url: str) -> dict[str, str]:
    """The query parameters of a URL, each with its (first) value."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def without_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


# --- the server and the tenant objects the suite creates ----------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    database_url: str

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/"

    @property
    def domain(self) -> str:
        """host:port, what auth0-python's authentication classes call the domain."""
        return f"127.0.0.1:{self.port}"

    @property
    def management_audience(self) -> str:
        return f"{self.issuer}api/v2/"

    def url(self, path: str) -> str:
        return self.base_url + path

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def log_since(self, offset: int, max_lines: int = LOG_TAIL_LINES) -> str:
        try:
            with self.log_path.open("rb") as f:
                f.seek(offset)
                text = f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return "(no server log)"
        lines = text.splitlines()
        if len(lines) > max_lines:
            lines = [f"... ({len(lines) - max_lines} earlier lines in {self.log_path})"] + lines[
                -max_lines:
            ]
        return "\n".join(lines)


@dataclass
class App:
    client_id: str
    client_secret: str | None
    callback: str
    logout_url: str
    raw: Any


@dataclass
class Api:
    id: str
    identifier: str
    scopes: list[str]
    raw: Any


@dataclass
class User:
    user_id: str
    email: str
    password: str


# --- HTML forms ---------------------------------------------------------------------------------


@dataclass
class Form:
    action: str | None
    method: str
    inputs: list[dict[str, str]] = field(default_factory=list)

    def names(self) -> set[str]:
        return {i["name"] for i in self.inputs if i.get("name")}

    def input(self, name: str) -> dict[str, str] | None:
        return next((i for i in self.inputs if i.get("name") == name), None)

    def hidden_fields(self) -> dict[str, str]:
        return {
            i["name"]: i.get("value", "")
            for i in self.inputs
            if i.get("type", "text").lower() == "hidden" and i.get("name")
        }


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._current: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._current = Form(action=a.get("action"), method=a.get("method", "get").lower())
            self.forms.append(self._current)
        elif tag in ("input", "button", "textarea", "select") and self._current is not None:
            if tag == "input":
                a.setdefault("type", "text")
            else:
                a.setdefault("type", tag)
            self._current.inputs.append(a)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def parse_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def find_form(html: str, *required_fields: str) -> Form:
    """The first form that has every one of `required_fields` as an input name."""
    forms = parse_forms(html)
    for form in forms:
        if set(required_fields) <= form.names():
            return form
    raise AssertionError(
        f"no <form> with fields {sorted(required_fields)} on the page; forms found: "
        f"{[(f.action, f.method, sorted(f.names())) for f in forms]}\n--- page ---\n{html[:3000]}"
    )


# --- a scripted browser ------------------------------------------------------------------------


class Browser:
    """A user agent with a cookie jar that never follows redirects by itself, so each hop of a
    login can be looked at. The redirect_uri of the test apps is never contacted."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "gatehouse-e2e-browser/1.0"
        self.session.headers["Accept"] = "text/html,application/xhtml+xml"

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.session.get(url, allow_redirects=False, timeout=HTTP_TIMEOUT, **kwargs)

    def post(self, url: str, data: dict[str, str], **kwargs: Any) -> requests.Response:
        return self.session.post(
            url, data=data, allow_redirects=False, timeout=HTTP_TIMEOUT, **kwargs
        )

    def submit(self, page_url: str, form: Form, values: dict[str, str]) -> requests.Response:
        """Posts every hidden input of `form` plus `values` to the form's action, resolved
        relative to the page, as a browser does."""
        data = form.hidden_fields()
        data.update(values)
        target = urljoin(page_url, form.action or page_url)
        assert form.method == "post", f"login form should use POST, has {form.method!r}"
        return self.post(target, data=data)


def location(resp: requests.Response) -> str:
    """The absolute redirect target of a redirect response (fails if it is not one)."""
    assert resp.status_code in REDIRECT_STATUSES, (
        f"expected a redirect from {resp.request.method} {resp.url}, got {resp.status_code}: "
        f"{resp.text[:2000]}"
    )
    loc = resp.headers.get("Location")
    assert loc, f"redirect from {resp.url} without a Location header"
    return urljoin(resp.url, loc)


@dataclass
class LoginPage:
    url: str
    html: str
    form: Form
    status: int


def open_login_page(browser: Browser, authorize_url: str) -> LoginPage:
    """GET /authorize, expect a redirect to the hosted login page, and load that page."""
    first = browser.get(authorize_url)
    page_url = location(first)
    assert urlsplit(page_url).path == "/u/login", f"/authorize sent the browser to {page_url}"
    assert query_params(page_url).get("state"), f"no state on the login page URL {page_url}"
    page = browser.get(page_url)
    assert page.status_code == 200, f"GET {page_url}: {page.status_code} {page.text[:2000]}"
    assert "text/html" in page.headers.get("Content-Type", ""), page.headers
    return LoginPage(
        url=page_url,
        html=page.text,
        form=find_form(page.text, "username", "password"),
        status=page.status_code,
    )


def submit_credentials(browser: Browser, page: LoginPage, username: str, password: str):
    return browser.submit(page.url, page.form, {"username": username, "password": password})


def log_in(browser: Browser, authorize_url: str, username: str, password: str) -> str:
    """The whole interactive login; returns where the browser is finally sent (the
    redirect_uri with code and state)."""
    page = open_login_page(browser, authorize_url)
    return location(submit_credentials(browser, page, username, password))


# --- token verification ------------------------------------------------------------------------


def verify_with_pyjwt(
    token: str, jwks_client: pyjwt.PyJWKClient, *, issuer: str, audience: str
) -> dict[str, Any]:
    """Verifies an RS256 JWT against the server's JWKS the way a resource server would."""
    header = pyjwt.get_unverified_header(token)
    assert header.get("alg") == "RS256", header
    assert header.get("kid"), f"token header without kid: {header}"
    signing_key = jwks_client.get_signing_key_from_jwt(token)
    return pyjwt.decode(
        token,
        signing_key.key,
        algorithms=["RS256"],
        audience=audience,
        issuer=issuer,
        leeway=60,
        options={"require": ["iss", "sub", "aud", "exp", "iat"]},
    )


def verify_id_token_with_authlib(
    id_token: str,
    jwks: dict[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str | None,
    access_token: str | None = None,
    essential: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Validates an ID token as Authlib's OpenID Connect client does (JOSE decode with the
    JWKS, then OIDC Core ID token rules: iss, aud, exp, iat, nonce, azp, at_hash)."""
    key_set = KeySet.import_key_set(jwks)
    token = jose_jwt.decode(id_token, key_set, algorithms=["RS256"])
    options: dict[str, Any] = {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": client_id},
    }
    for name in essential:
        options.setdefault(name, {"essential": True})
    params: dict[str, Any] = {"client_id": client_id}
    if nonce is not None:
        params["nonce"] = nonce
    if access_token is not None:
        params["access_token"] = access_token
    claims = CodeIDToken(token.claims, token.header, options, params)
    claims.validate(now=int(time.time()), leeway=60)
    return dict(claims)


def collect(pager: Any, max_pages: int = 50) -> list[Any]:
    """All items of an auth0-python pager. The generated pagers ask for the next page until one
    comes back empty (offset pagination) or without `next` (checkpoint pagination); a server that
    ignored `page`/`from` would make that loop forever, so the walk is bounded."""
    items: list[Any] = []
    for number, page in enumerate(pager.iter_pages()):
        assert number < max_pages, f"pagination did not end after {max_pages} pages"
        items.extend(page.items or [])
    return items


# --- the relying party (Authlib) ---------------------------------------------------------------

#: What the test relying parties ask for.
RP_SCOPE = "openid profile email offline_access"


@dataclass
class Authorization:
    """One /authorize request as the relying party prepared it."""

    oauth: OAuth2Session
    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass
class Login:
    authorization: Authorization
    token: dict[str, Any]
    id_claims: dict[str, Any]


def rp_session(app: App, scope: str = RP_SCOPE) -> OAuth2Session:
    """The relying party's OAuth client for `app`."""
    return OAuth2Session(
        client_id=app.client_id,
        client_secret=app.client_secret,
        scope=scope,
        redirect_uri=app.callback,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_post" if app.client_secret else "none",
    )


def audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    return aud if isinstance(aud, list) else [aud]


# --- Actions and the tenant log (Management API, auth0-python) ---------------------------------

#: The trigger versions the suite's actions are written for.
TRIGGER_VERSIONS = {
    "post-login": "v3",
    "credentials-exchange": "v2",
    "send-phone-message": "v2",
    "post-user-registration": "v2",
    "post-change-password": "v2",
    "custom-email-provider": "v1",
    "custom-phone-provider": "v1",
    "pre-user-registration": "v2",
    "password-reset-post-challenge": "v1",
}


@dataclass
class ActionSpec:
    """An action to deploy and bind: its code, optional secrets, a name prefix (made unique)
    and Gatehouse's per-binding `fail_open` extension (None: not sent)."""

    code: str
    secrets: dict[str, str] = field(default_factory=dict)
    name: str | None = None
    fail_open: bool | None = None


@dataclass
class DeployedAction:
    id: str
    name: str
    version_id: str


def wait_until_built(mgmt: Any, action_id: str, timeout: float = 60.0) -> Any:
    """Polls the action until its draft is built (or failed to build), as IaC tools do."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        action = mgmt.actions.get(action_id)
        if action.status in ("built", "failed"):
            return action
        time.sleep(0.1)
    raise AssertionError(f"action {action_id} did not finish building in {timeout:.0f}s")


def recent_logs(mgmt: Any, *, client_id: str | None = None, pages: int = 5) -> list[Any]:
    """The newest tenant log events (GET /api/v2/logs, newest first), at most `pages` pages of
    100, optionally only those of one client."""
    found: list[Any] = []
    for number, page in enumerate(mgmt.logs.list(per_page=100).iter_pages()):
        if number >= pages:
            break
        found.extend(
            log for log in (page.items or []) if client_id is None or log.client_id == client_id
        )
    return found
