"""Brute-force protection against the real binary, driven by threads and by auth0-python's
Management API classes (attack_protection, user_blocks)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from auth0.authentication import GetToken
from auth0.authentication.exceptions import Auth0Error
from auth0.management import Auth0
from auth0.management.core.api_error import ApiError

from support import DATABASE_CONNECTION, Api, App, User


def _login(get_token: Callable[..., GetToken], app: App, api: Api, user: User, password: str) -> str:
    """The outcome of one password-realm login: "ok" or the status and OAuth error code."""
    try:
        get_token(app.client_id, app.client_secret).login(
            username=user.email,
            password=password,
            realm=DATABASE_CONNECTION,
            scope="openid",
            audience=api.identifier,
        )
        return "ok"
    except Auth0Error as error:
        return f"{error.status_code} {error.error_code}"


def test_settings_read_and_update_with_auth0_python(mgmt: Auth0) -> None:
    brute_force = mgmt.attack_protection.brute_force_protection.get()
    assert brute_force.enabled is True
    assert brute_force.mode == "count_per_identifier_and_ip"
    assert brute_force.max_attempts == 10
    assert list(brute_force.shields) == ["block", "user_notification"]
    updated = mgmt.attack_protection.brute_force_protection.update(max_attempts=10, allowlist=[])
    assert updated.max_attempts == 10
    throttling = mgmt.attack_protection.suspicious_ip_throttling.get()
    assert throttling.stage.pre_login.max_attempts == 100
    assert throttling.stage.pre_login.rate == 864_000
    assert throttling.stage.pre_user_registration.max_attempts == 50
    with pytest.raises(ApiError) as error:
        mgmt.attack_protection.brute_force_protection.update(mode="per_ip")
    assert error.value.status_code == 400
    assert error.value.body["errorCode"] == "invalid_body", error.value.body


def test_parallel_guesses_are_cut_at_the_limit_and_the_block_can_be_lifted(
    get_token: Callable[..., GetToken],
    web_app: App,
    api: Api,
    make_user: Callable[..., User],
    mgmt: Auth0,
) -> None:
    victim = make_user()
    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(lambda _: _login(get_token, web_app, api, victim, "wrong-guess"), range(20)))
    assert outcomes.count("403 invalid_grant") == 10, outcomes
    assert outcomes.count("429 too_many_attempts") == 10, outcomes
    # The right password is refused once the IP is blocked for this user.
    assert _login(get_token, web_app, api, victim, victim.password) == "429 too_many_attempts"

    blocks = mgmt.user_blocks.list_by_identifier(identifier=victim.email)
    assert [(b.identifier, b.connection) for b in blocks.blocked_for] == [
        (victim.email, DATABASE_CONNECTION)
    ]
    assert blocks.blocked_for[0].ip
    assert mgmt.user_blocks.list(victim.user_id).blocked_for == blocks.blocked_for
    mgmt.user_blocks.delete(victim.user_id)
    assert mgmt.user_blocks.list(victim.user_id).blocked_for == []
    assert _login(get_token, web_app, api, victim, victim.password) == "ok"

    # Blocked again, and lifted by identifier.
    for _ in range(10):
        _login(get_token, web_app, api, victim, "wrong-guess")
    assert _login(get_token, web_app, api, victim, victim.password) == "429 too_many_attempts"
    mgmt.user_blocks.delete_by_identifier(identifier=victim.email)
    assert _login(get_token, web_app, api, victim, victim.password) == "ok"
