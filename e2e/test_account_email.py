"""The e-mails of an account's life against a real SMTP server (aiosmtpd with STARTTLS and AUTH,
e2e/smtp_capture.py) through unmodified auth0-python (issue 18): a sign-up's verification link,
`Database.change_password` and its reset link, Management API tickets and the verification job,
and a custom-email-provider action that asks for a retry before it succeeds."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from auth0.authentication import Database, GetToken
from auth0.management import Auth0

from conftest import SMTPCapture
from support import BOOTSTRAP_CLIENT_ID, DATABASE_CONNECTION, ActionSpec, DeployedAction, User, unique

LINK = re.compile(r"http://127\.0\.0\.1:\d+/u/(reset-password|email-verification)\?ticket=[A-Za-z0-9_-]+")

Bind = Callable[..., list[DeployedAction]]


@pytest.fixture
def smtp_provider(issuer: str, management_token: dict[str, Any], smtp_capture: SMTPCapture) -> Iterator[None]:
    """The tenant's e-mail provider is the capture server, for the test; removed afterwards."""
    headers = {"Authorization": "Bearer " + management_token["access_token"]}
    created = requests.post(
        issuer + "api/v2/emails/provider",
        headers=headers,
        json={
            "name": "smtp",
            "enabled": True,
            "default_from_address": "no-reply@gatehouse.e2e",
            "credentials": {
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp_capture.port,
                "smtp_user": SMTPCapture.USER,
                "smtp_pass": SMTPCapture.PASSWORD,
            },
        },
        timeout=10,
    )
    assert created.status_code in (200, 201), created.text
    assert "smtp_pass" not in created.text
    yield
    requests.delete(issuer + "api/v2/emails/provider", headers=headers, timeout=10)


def link_in(message: dict[str, Any]) -> str:
    found = LINK.search(message["text"] or "") or LINK.search(message["html"] or "")
    assert found, f"no link in {message}"
    return found.group(0)


def test_signup_sends_a_verification_link_that_verifies(
    issuer: str, web_app: Any, mgmt: Auth0, smtp_capture: SMTPCapture, smtp_provider: None
) -> None:
    email = f"{unique('signup')}@e2e.test"
    domain = issuer.split("//")[1].rstrip("/")
    Database(domain, web_app.client_id, protocol="http").signup(
        email=email, password="Corr3ct-Horse-42", connection=DATABASE_CONNECTION
    )
    message = smtp_capture.wait_for(email, "Verify")
    assert message["tls"] and message["authenticated"], "STARTTLS and AUTH, as the provider asks"
    assert message["from"] == "no-reply@gatehouse.e2e"
    assert message["content_type"] == "multipart/alternative"
    link = link_in(message)
    assert "email-verification" in link
    user = mgmt.users.list_users_by_email(email=email)[0]
    assert user.email_verified is False
    page = requests.get(link, timeout=10)
    assert page.status_code == 200 and "Verify my email" in page.text
    ticket = link.split("ticket=")[1]
    done = requests.post(issuer + "u/email-verification", data={"ticket": ticket}, timeout=10, allow_redirects=False)
    assert done.status_code in (200, 302), done.text
    assert mgmt.users.get(user.user_id).email_verified is True


def test_change_password_emails_a_reset_link_and_says_the_same_for_strangers(
    issuer: str, web_app: Any, user: User, smtp_capture: SMTPCapture, smtp_provider: None
) -> None:
    domain = issuer.split("//")[1].rstrip("/")
    database = Database(domain, web_app.client_id, protocol="http")
    stranger = database.change_password(email=f"{unique('nobody')}@e2e.test", connection=DATABASE_CONNECTION)
    known = database.change_password(email=user.email, connection=DATABASE_CONNECTION)
    assert stranger == known == "We've just sent you an email to reset your password."
    message = smtp_capture.wait_for(user.email, "Reset")
    link = link_in(message)
    assert "reset-password" in link
    assert not [m for m in smtp_capture.messages() if any("nobody" in to for to in m["rcpt_tos"])]

    ticket = link.split("ticket=")[1]
    form = requests.get(link, timeout=10)
    assert "At least 8 characters in length" in form.text
    done = requests.post(
        issuer + "u/reset-password",
        data={"ticket": ticket, "password": "N3w-horse-battery", "confirm": "N3w-horse-battery"},
        timeout=10,
        allow_redirects=False,
    )
    assert done.status_code in (200, 302), done.text
    tokens = GetToken(domain, web_app.client_id, client_secret=web_app.client_secret, protocol="http").login(
        username=user.email, password="N3w-horse-battery", realm=DATABASE_CONNECTION, scope="openid"
    )
    assert tokens["id_token"]


def test_management_tickets_and_the_verification_job(
    issuer: str, mgmt: Auth0, make_user: Callable[..., User], smtp_capture: SMTPCapture, smtp_provider: None
) -> None:
    someone = make_user(email_verified=True)
    ticket = mgmt.tickets.change_password(user_id=someone.user_id, result_url="https://app.example/done", ttl_sec=600)
    assert ticket.ticket.startswith(issuer + "u/reset-password?ticket=")
    verification = mgmt.tickets.verify_email(user_id=someone.user_id)
    assert verification.ticket.startswith(issuer + "u/email-verification?ticket=")

    job = mgmt.jobs.verification_email.create(user_id=someone.user_id)
    assert job.type == "verification_email" and job.id.startswith("job_")
    assert "email-verification" in link_in(smtp_capture.wait_for(someone.email, "Verify"))
    # The job is its e-mail: completed once the SMTP server has accepted it.
    deadline = time.monotonic() + 10
    while (status := mgmt.jobs.get(job.id).status) != "completed" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert status == "completed"


CUSTOM_PROVIDER = """
exports.onExecuteCustomEmailProvider = async (event, api) => {
  const seen = Number(api.cache.get(event.notification.to)?.value ?? '0') + 1;
  api.cache.set(event.notification.to, String(seen));
  if (seen === 1) { api.notification.retry('the mail API is busy'); return; }
  const response = await fetch(event.secrets.OUTBOX, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ to: event.notification.to, type: event.notification.message_type, attempt: seen,
                           subject: event.notification.subject }),
  });
  if (!response.ok) throw new Error('the mail API answered ' + response.status);
};
"""


def test_a_custom_email_provider_action_retries_then_delivers(
    issuer: str,
    management_token: dict[str, Any],
    web_app: Any,
    user: User,
    bind_actions: Bind,
    make_request_recorder: Callable[..., Any],
) -> None:
    receiver = make_request_recorder()
    headers = {"Authorization": "Bearer " + management_token["access_token"]}
    created = requests.post(
        issuer + "api/v2/emails/provider",
        headers=headers,
        json={"name": "custom", "enabled": True, "default_from_address": "no-reply@gatehouse.e2e"},
        timeout=10,
    )
    assert created.status_code in (200, 201), created.text
    try:
        bind_actions("custom-email-provider", ActionSpec(code=CUSTOM_PROVIDER, secrets={"OUTBOX": receiver.url("/mail")}))
        domain = issuer.split("//")[1].rstrip("/")
        Database(domain, web_app.client_id, protocol="http").change_password(email=user.email, connection=DATABASE_CONNECTION)
        # The first attempt asks for a retry; the outbox tries again after its backoff (5 s).
        delivered = receiver.wait_for_request(timeout=30).json()
        assert delivered["to"] == user.email and delivered["type"] == "reset_email" and delivered["attempt"] == 2
    finally:
        requests.delete(issuer + "api/v2/emails/provider", headers=headers, timeout=10)
