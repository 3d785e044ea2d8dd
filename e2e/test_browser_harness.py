"""The browser harness itself: the redirect target (relying_party.RedirectTarget) round trip,
with a request recorder standing in for the server's /continue, so that the redirect-and-resume
tests can trust it. The token the target receives is made here as `api.redirect.encodeToken`
makes it (HS256; sub, iss, iat, exp, ip and the payload)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import jwt as pyjwt
import pytest

from browser import wait_for
from relying_party import RedirectTarget, RequestRecorder

#: What the target receives from "the action".
SUB = "auth0|harness-user"
STATE = "opaque-state-123"


def action_token(secret: str, **payload: Any) -> str:
    now = int(time.time())
    claims = {"sub": SUB, "iss": "127.0.0.1", "iat": now, "exp": now + 900, "ip": "127.0.0.1"}
    return pyjwt.encode({**claims, **payload}, secret, algorithm="HS256")


def arrive(browser: Any, target: RedirectTarget, token: str) -> None:
    """The browser arrives as api.redirect.sendUserTo sends it."""
    browser.get(f"{target.redirect_url}?{urlencode({'state': STATE, 'session_token': token})}")


def test_redirect_target_posts_back_to_continue_across_sites(
    browser: Any,
    make_redirect_target: Callable[..., RedirectTarget],
    make_request_recorder: Callable[..., RequestRecorder],
) -> None:
    # The stand-in for /continue is on 127.0.0.1, like the server: another site than the target.
    resume = make_request_recorder(host="127.0.0.1")
    target = make_redirect_target(
        continue_url=resume.url("/continue"),
        claims=lambda visit: {"color": "blue", "seen": visit.token_claims["favourite"]},
    )
    arrive(browser, target, action_token(target.secret, favourite="tea"))

    visit = target.wait_for_visit()
    assert visit.state == STATE
    assert visit.token_claims is not None and visit.token_claims["favourite"] == "tea"
    back = resume.wait_for_request()
    assert (back.method, back.path) == ("POST", "/continue")
    assert back.query == {}
    assert back.form["state"] == STATE
    assert back.headers.get("sec-fetch-site") == "cross-site", back.headers
    assert back.headers.get("origin") == target.base_url
    claims = pyjwt.decode(back.form["session_token"], target.secret, algorithms=["HS256"])
    assert claims["sub"] == SUB
    assert claims["state"] == STATE
    assert claims["iss"] == target.base_url
    assert claims["exp"] > time.time()
    assert (claims["color"], claims["seen"]) == ("blue", "tea")


def test_redirect_target_can_return_by_get_or_wait_and_refuses_a_bad_token(
    browser: Any,
    make_redirect_target: Callable[..., RedirectTarget],
    make_request_recorder: Callable[..., RequestRecorder],
) -> None:
    resume = make_request_recorder(host="127.0.0.1")
    target = make_redirect_target(continue_url=resume.url("/continue"), method="get")
    arrive(browser, target, action_token(target.secret))
    target.wait_for_visit()
    back = resume.wait_for_request()
    assert (back.method, back.form) == ("GET", {})
    assert back.query["state"] == STATE
    claims = pyjwt.decode(back.query["session_token"], target.secret, algorithms=["HS256"])
    assert claims["sub"] == SUB

    # auto_continue=False: the page waits for its button.
    held = make_redirect_target(continue_url=resume.url("/continue"), auto_continue=False)
    arrive(browser, held, action_token(held.secret))
    assert held.wait_for_visit().continue_fields is not None
    assert resume.received.all[1:] == []
    wait_for(browser, "#continue").click()
    assert resume.wait_for_request().method == "POST"

    # A token signed with another secret is refused, and the browser is not sent back.
    strict = make_redirect_target(continue_url=resume.url("/continue"))
    arrive(browser, strict, action_token("another-secret-" + "x" * 32))
    with pytest.raises(AssertionError, match="InvalidSignatureError"):
        strict.wait_for_visit()
    assert "Refused" in browser.title
    assert len(resume.received.all) == 2
