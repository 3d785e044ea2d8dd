"""Auth0's MFA API for back-channel logins against the real binary, driven with `requests` as an
application that builds its own MFA screens would: a password-realm login that a post-login
action sends to MFA answers `mfa_required`; `/mfa/associate`, `/mfa/challenge`,
`/mfa/authenticators` and the `mfa-otp` / `mfa-recovery-code` grants finish it. TOTP codes come
from pyotp, an authenticator implementation independent of the server's.

The action requires MFA only for the test's own application, and `bind_actions` empties the
post-login bindings afterwards, so other tests' logins are unaffected."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import jwt as pyjwt
import pyotp
import pytest
import requests
from auth0.management import Auth0

from support import (
    DATABASE_CONNECTION,
    HTTP_TIMEOUT,
    PASSWORD_REALM_GRANT,
    ActionSpec,
    App,
    DeployedAction,
    Server,
    User,
    unique,
    verify_with_pyjwt,
)

MFA_OTP = "http://auth0.com/oauth/grant-type/mfa-otp"
MFA_OOB = "http://auth0.com/oauth/grant-type/mfa-oob"
MFA_RECOVERY_CODE = "http://auth0.com/oauth/grant-type/mfa-recovery-code"


def require_mfa_for(client_id: str) -> str:
    """A post-login action that asks for MFA, for one application only."""
    return (
        "exports.onExecutePostLogin = async (event, api) => {\n"
        f"  if (event.client.client_id === {json.dumps(client_id)}) api.multifactor.enable('any');\n"
        "};\n"
    )


@pytest.fixture
def otp_factors(mgmt: Auth0) -> Iterator[None]:
    """Enables the otp and recovery-code factors, and leaves them as the test found them."""
    before = {factor.name: factor.enabled for factor in mgmt.guardian.factors.list()}
    mgmt.guardian.factors.set("otp", enabled=True)
    mgmt.guardian.factors.set("recovery-code", enabled=True)
    yield
    for name in ("otp", "recovery-code"):
        mgmt.guardian.factors.set(name, enabled=before[name])


@pytest.fixture
def mfa_app(mgmt: Auth0) -> App:
    """A confidential application allowed the password-realm grant and the MFA grants."""
    name = unique("mfa-api")
    created = mgmt.clients.create(
        name=name,
        app_type="regular_web",
        callbacks=[f"https://{name}.e2e.test/callback"],
        grant_types=["password", PASSWORD_REALM_GRANT, "refresh_token", MFA_OTP, MFA_OOB, MFA_RECOVERY_CODE],
        token_endpoint_auth_method="client_secret_post",
    )
    return App(
        client_id=created.client_id,
        client_secret=created.client_secret,
        callback=f"https://{name}.e2e.test/callback",
        logout_url="",
        raw=created,
    )


def token_request(gatehouse: Server, app: App, **fields: str) -> requests.Response:
    body = {"client_id": app.client_id, "client_secret": app.client_secret, **fields}
    return requests.post(gatehouse.url("/oauth/token"), json=body, timeout=HTTP_TIMEOUT)


def mfa_token(gatehouse: Server, app: App, user: User) -> str:
    """A password-realm login that needs MFA: Auth0's 403 mfa_required and its mfa_token."""
    response = token_request(
        gatehouse,
        app,
        grant_type=PASSWORD_REALM_GRANT,
        realm=DATABASE_CONNECTION,
        username=user.email,
        password=user.password,
        scope="openid profile",
    )
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["error"] == "mfa_required", body
    assert body["error_description"] == "Multifactor authentication required"
    assert body["mfa_token"]
    return body["mfa_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(response: requests.Response, status: int, error: str, description: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error, body
    if description is not None:
        assert body["error_description"] == description, body


def id_token_claims(
    response: requests.Response, jwks_client: pyjwt.PyJWKClient, issuer: str, app: App
) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return verify_with_pyjwt(response.json()["id_token"], jwks_client, issuer=issuer, audience=app.client_id)


def test_mfa_api_associate_challenge_and_recovery_code(
    gatehouse: Server,
    issuer: str,
    jwks_client: pyjwt.PyJWKClient,
    bind_actions: Callable[..., list[DeployedAction]],
    make_user: Callable[..., User],
    mfa_app: App,
    otp_factors: None,
) -> None:
    user = make_user()
    bind_actions("post-login", ActionSpec(code=require_mfa_for(mfa_app.client_id), name="require-mfa"))

    # First login: no authenticator yet, so the application associates an authenticator app.
    first = mfa_token(gatehouse, mfa_app, user)
    listed = requests.get(gatehouse.url("/mfa/authenticators"), headers=bearer(first), timeout=HTTP_TIMEOUT)
    assert listed.status_code == 200 and listed.json() == [], listed.text
    associated = requests.post(
        gatehouse.url("/mfa/associate"),
        headers=bearer(first),
        json={"authenticator_types": ["otp"]},
        timeout=HTTP_TIMEOUT,
    )
    assert associated.status_code == 200, associated.text
    association = associated.json()
    assert association["authenticator_type"] == "otp"
    assert pyotp.parse_uri(association["barcode_uri"]).secret == association["secret"]
    [recovery_code] = association["recovery_codes"]
    totp = pyotp.TOTP(association["secret"])

    now = time.time()
    wrong = f"{(int(totp.at(now)) + 1) % 1_000_000:06d}"
    assert_error(
        token_request(gatehouse, mfa_app, grant_type=MFA_OTP, mfa_token=first, otp=wrong),
        403,
        "invalid_grant",
        "Invalid otp_code.",
    )
    confirmed = token_request(gatehouse, mfa_app, grant_type=MFA_OTP, mfa_token=first, otp=totp.at(now))
    claims = id_token_claims(confirmed, jwks_client, issuer, mfa_app)
    assert claims["amr"] == ["mfa"] and claims["sub"] == user.user_id
    assert "recovery_code" not in confirmed.json()
    # The mfa_token worked once.
    assert_error(
        token_request(gatehouse, mfa_app, grant_type=MFA_OTP, mfa_token=first, otp=totp.at(now)), 403, "invalid_grant"
    )

    # Second login: the user has an app, so the application asks for an OTP challenge.
    second = mfa_token(gatehouse, mfa_app, user)
    authenticators = requests.get(
        gatehouse.url("/mfa/authenticators"), headers=bearer(second), timeout=HTTP_TIMEOUT
    ).json()
    assert [(a["authenticator_type"], a["active"]) for a in authenticators] == [("otp", True), ("recovery-code", True)]
    assert authenticators[0]["id"].startswith("totp|dev_")
    assert_error(
        requests.post(
            gatehouse.url("/mfa/associate"),
            headers=bearer(second),
            json={"authenticator_types": ["otp"]},
            timeout=HTTP_TIMEOUT,
        ),
        403,
        "access_denied",
        "User is already enrolled.",
    )
    challenged = requests.post(
        gatehouse.url("/mfa/challenge"),
        json={
            "client_id": mfa_app.client_id,
            "client_secret": mfa_app.client_secret,
            "mfa_token": second,
            "challenge_type": "otp oob",
            "authenticator_id": authenticators[0]["id"],
        },
        timeout=HTTP_TIMEOUT,
    )
    assert challenged.status_code == 200 and challenged.json() == {"challenge_type": "otp"}, challenged.text
    # The confirming code's time step is used up; the next step's code works.
    challenge = token_request(gatehouse, mfa_app, grant_type=MFA_OTP, mfa_token=second, otp=totp.at(now + 30))
    assert id_token_claims(challenge, jwks_client, issuer, mfa_app)["amr"] == ["mfa"]

    # Third login: the recovery code; a new one comes back, the old one is spent.
    third = mfa_token(gatehouse, mfa_app, user)
    recovered = token_request(
        gatehouse, mfa_app, grant_type=MFA_RECOVERY_CODE, mfa_token=third, recovery_code=recovery_code
    )
    assert id_token_claims(recovered, jwks_client, issuer, mfa_app)["amr"] == ["mfa"]
    renewed = recovered.json()["recovery_code"]
    assert len(renewed) == 24 and renewed != recovery_code
    fourth = mfa_token(gatehouse, mfa_app, user)
    assert_error(
        token_request(gatehouse, mfa_app, grant_type=MFA_RECOVERY_CODE, mfa_token=fourth, recovery_code=recovery_code),
        403,
        "invalid_grant",
        "Invalid recovery_code.",
    )


def test_mfa_api_refuses_other_clients_and_bad_tokens(
    gatehouse: Server,
    mgmt: Auth0,
    bind_actions: Callable[..., list[DeployedAction]],
    make_user: Callable[..., User],
    mfa_app: App,
    otp_factors: None,
) -> None:
    user = make_user()
    bind_actions("post-login", ActionSpec(code=require_mfa_for(mfa_app.client_id), name="require-mfa"))
    token = mfa_token(gatehouse, mfa_app, user)
    other = mgmt.clients.create(
        name=unique("mfa-other"), app_type="regular_web", grant_types=[PASSWORD_REALM_GRANT, MFA_OTP],
        token_endpoint_auth_method="client_secret_post",
    )
    stolen = requests.post(
        gatehouse.url("/oauth/token"),
        json={
            "grant_type": MFA_OTP, "mfa_token": token, "otp": "123456",
            "client_id": other.client_id, "client_secret": other.client_secret,
        },
        timeout=HTTP_TIMEOUT,
    )
    assert_error(stolen, 403, "invalid_grant", "mfa_token not issued to this client")
    assert_error(
        token_request(gatehouse, mfa_app, grant_type=MFA_OTP, mfa_token="forged", otp="123456"),
        403,
        "invalid_grant",
        "Malformed mfa_token",
    )
    assert_error(requests.get(gatehouse.url("/mfa/authenticators"), timeout=HTTP_TIMEOUT), 401, "invalid_token")
    # The token is still the application's own: the stolen use did not spend it.
    listed = requests.get(gatehouse.url("/mfa/authenticators"), headers=bearer(token), timeout=HTTP_TIMEOUT)
    assert listed.status_code == 200, listed.text
