"""MFA administration against the real binary through auth0-python's Management API classes
(guardian.factors, guardian.factors.phone, guardian.enrollments, users.enrollments,
users.authentication_methods, users.multifactor): Auth0's paths, shapes and errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from auth0.management import Auth0
from auth0.management.core.api_error import ApiError

from support import User


def test_factors_and_phone_provider(mgmt: Auth0, factors_restored: None) -> None:
    listed = {factor.name: factor for factor in mgmt.guardian.factors.list()}
    assert {"sms", "otp", "recovery-code", "push-notification", "email", "duo", "webauthn-roaming"} <= set(listed)
    assert all(factor.enabled is False for name, factor in listed.items() if name not in ("otp", "sms", "recovery-code"))

    assert mgmt.guardian.factors.set("otp", enabled=True).enabled is True
    assert mgmt.guardian.factors.set("recovery-code", enabled=True).enabled is True
    enabled = {factor.name for factor in mgmt.guardian.factors.list() if factor.enabled}
    assert {"otp", "recovery-code"} <= enabled

    for unsupported in ("push-notification", "webauthn-roaming", "email", "duo"):
        with pytest.raises(ApiError) as error:
            mgmt.guardian.factors.set(unsupported, enabled=True)
        assert error.value.status_code == 400
        assert "not supported" in error.value.body["message"], error.value.body
        assert error.value.body["errorCode"] == "unsupported"

    assert mgmt.guardian.factors.phone.set_provider(provider="phone-message-hook").provider == "phone-message-hook"
    assert mgmt.guardian.factors.phone.get_selected_provider().provider == "phone-message-hook"
    with pytest.raises(ApiError) as error:
        mgmt.guardian.factors.phone.set_provider(provider="carrier-pigeon")
    assert error.value.status_code == 400


def test_recovery_code_and_authentication_methods(
    mgmt: Auth0, make_user: Callable[..., User], factors_restored: None
) -> None:
    user = make_user()
    assert list(mgmt.users.authentication_methods.list(user.user_id)) == []
    assert mgmt.users.enrollments.get(user.user_id) == []

    code = mgmt.users.regenerate_recovery_code(user.user_id).recovery_code
    assert code is not None and len(code) == 24
    methods = list(mgmt.users.authentication_methods.list(user.user_id))
    assert [method.type for method in methods] == ["recovery-code"]
    method = methods[0]
    assert method.id.startswith("recovery-code|dev_") and method.confirmed is True
    assert code not in str(method)
    assert mgmt.users.authentication_methods.get(user.user_id, method.id).type == "recovery-code"
    # Guardian enrollments are authenticator apps and phones only.
    assert mgmt.users.enrollments.get(user.user_id) == []

    second = mgmt.users.regenerate_recovery_code(user.user_id).recovery_code
    assert second != code
    assert len(list(mgmt.users.authentication_methods.list(user.user_id))) == 1

    mgmt.users.authentication_methods.delete(user.user_id, list(mgmt.users.authentication_methods.list(user.user_id))[0].id)
    assert list(mgmt.users.authentication_methods.list(user.user_id)) == []
    with pytest.raises(ApiError) as error:
        mgmt.users.authentication_methods.get(user.user_id, method.id)
    assert error.value.status_code == 404

    mgmt.users.regenerate_recovery_code(user.user_id)
    mgmt.users.authentication_methods.delete_all(user.user_id)
    assert list(mgmt.users.authentication_methods.list(user.user_id)) == []

    mgmt.users.multifactor.invalidate_remember_browser(user.user_id)
    with pytest.raises(ApiError) as error:
        mgmt.guardian.enrollments.delete("dev_doesnotexist0000")
    assert error.value.status_code == 404
    with pytest.raises(ApiError) as error:
        mgmt.users.regenerate_recovery_code("auth0|nobody-at-all")
    assert error.value.status_code == 404
