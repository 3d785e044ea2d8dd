"""The dashboard's admin pages in a real browser (headless Chromium, see browser.py): an operator
opens the log entry of an end user's login and its Actions execution with the action's console
line; searches a user by e-mail and blocks and unblocks them; rotates an application's secret and
sees the new one once; creates a role and edits its permissions. Screenshots of each page go to
$GATEHOUSE_SCREENSHOTS (default: a temp dir), at 1280×800 and a phone width."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import requests
from auth0.management import Auth0
from browser import wait_for
from dashboard_support import shot, sign_in_operator, until
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from support import Api, App, Authorization, Browser, Login, User, log_in, unique





def status(browser: Any) -> str:
    return browser.find_element(By.ID, "status").text


def heading(browser: Any) -> str:
    return browser.find_element(By.CSS_SELECTOR, "main h1").text



def test_operator_reads_logs_manages_users_applications_and_roles(
    browser: Any,
    issuer: str,
    mgmt: Auth0,
    management_token: dict[str, Any],
    make_user: Callable[..., User],
    make_web_app: Callable[..., App],
    bind_actions: Callable[..., Any],
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    api: Api,
) -> None:
    token = management_token["access_token"]
    operator = make_user(email_verified=True)
    marker = unique("console-line")
    bind_actions("post-login", "exports.onExecutePostLogin = async (event, api) => { console.log('" + marker + "', event.user.email); };")

    # An end user logs in to an application of this test's own: a log entry with one execution.
    app = make_web_app()
    end_user = make_user(email_verified=True)
    authz = authorize(app)
    redeem(authz, log_in(Browser(), authz.url, end_user.email, end_user.password))

    sign_in_operator(browser, issuer, token, operator)

    # Logs: filter by the user and type s, open the entry, see the execution's console line.
    browser.get(issuer + "dashboard/#/logs")
    until(lambda: heading(browser) == "Logs", what="the logs page")
    Select(browser.find_element(By.ID, "log-type")).select_by_value("s")
    browser.find_element(By.ID, "log-user").send_keys(end_user.user_id)
    browser.find_element(By.ID, "log-client").send_keys(app.client_id)
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    row = until(lambda: browser.find_element(By.CSS_SELECTOR, "tr[data-type=s]"), what="the login's log entry")
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.logs tbody tr")) == 1
    assert end_user.email in row.text and "1 execution" in row.text, row.text
    assert 'user_id:"' + end_user.user_id + '"' in browser.find_element(By.ID, "log-query").text
    shot(browser, "logs")
    row.find_element(By.CSS_SELECTOR, "a").click()
    result = until(lambda: browser.find_element(By.CSS_SELECTOR, ".execution .result"), what="the execution")
    assert "Succeeded" in result.text
    assert marker in result.find_element(By.CSS_SELECTOR, ".console").text
    assert heading(browser).startswith("Successful login")
    shot(browser, "log-entry")

    # A search the server refuses is explained in words.
    browser.get(issuer + "dashboard/#/logs?q=" + quote("type:(", safe=""))
    until(lambda: "could not be searched" in browser.find_element(By.CSS_SELECTOR, "main [role=alert]").text, what="the refusal")

    # Users: search by e-mail, open, block, unblock.
    browser.get(issuer + "dashboard/#/users")
    until(lambda: heading(browser) == "Users", what="the users page")
    browser.find_element(By.ID, "user-email").send_keys(end_user.email)
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    until(lambda: len(browser.find_elements(By.CSS_SELECTOR, "table.users tbody tr")) == 1
          and browser.find_element(By.CSS_SELECTOR, f"tr[data-user='{end_user.user_id}']"), what="the one user found")
    shot(browser, "users")
    browser.find_element(By.CSS_SELECTOR, f"tr[data-user='{end_user.user_id}'] a").click()
    until(lambda: heading(browser) == end_user.email, what="the user's page")
    browser.find_element(By.ID, "toggle-block").click()
    until(lambda: browser.find_element(By.ID, "blocked-badge"), what="the Blocked badge")
    assert "cannot log in" in status(browser)
    assert mgmt.users.get(end_user.user_id).blocked is True
    shot(browser, "user")
    until(lambda: browser.find_element(By.ID, "toggle-block").text == "Unblock", what="the Unblock button")
    browser.find_element(By.ID, "toggle-block").click()
    until(lambda: not browser.find_elements(By.ID, "blocked-badge"), what="the badge to go")
    assert not mgmt.users.get(end_user.user_id).blocked

    # Applications: rotate the secret, see the new one once.
    browser.get(issuer + f"dashboard/#/applications/{app.client_id}")
    until(lambda: browser.find_element(By.ID, "rotate-secret"), what="the application's page")
    browser.find_element(By.ID, "rotate-secret").click()
    browser.switch_to.alert.accept()
    secret = until(lambda: browser.find_element(By.ID, "secret-value").get_attribute("value"), what="the new secret")
    assert secret and secret != app.client_secret
    shot(browser, "application")
    exchanged = requests.post(issuer + "oauth/token", timeout=10, data={
        "grant_type": "client_credentials", "client_id": app.client_id, "client_secret": secret, "audience": api.identifier})
    assert exchanged.status_code == 200, exchanged.text
    browser.refresh()
    until(lambda: browser.find_element(By.ID, "rotate-secret"), what="the page again")
    assert not browser.find_elements(By.ID, "secret-value")
    assert secret not in browser.page_source

    # APIs: the list and the test API's scopes.
    browser.get(issuer + "dashboard/#/apis")
    until(lambda: browser.find_element(By.CSS_SELECTOR, f"tr[data-api='{api.raw.name}'] a"), what="the APIs").click()
    until(lambda: browser.find_element(By.CSS_SELECTOR, "tr[data-scope='write:orders']"), what="the API's scopes")
    shot(browser, "api")

    # Roles: create one, add two permissions, remove one.
    browser.get(issuer + "dashboard/#/roles")
    until(lambda: heading(browser) == "Roles", what="the roles page")
    role_name = unique("order-clerks")
    browser.find_element(By.ID, "new-role-name").send_keys(role_name)
    browser.find_element(By.ID, "new-role-description").send_keys("Reads and writes orders")
    browser.find_element(By.CSS_SELECTOR, "form.create button[type=submit]").click()
    until(lambda: heading(browser) == role_name, what="the new role's page")
    for permission in ("read:orders", "write:orders"):
        Select(browser.find_element(By.ID, "permission-api")).select_by_value(api.identifier)
        Select(browser.find_element(By.ID, "permission-scope")).select_by_value(permission)
        browser.find_element(By.ID, "add-permission").click()
        until(lambda p=permission: browser.find_element(By.CSS_SELECTOR, f"tr[data-permission='{p}']"), what=f"{permission} added")
    browser.find_element(By.CSS_SELECTOR, "tr[data-permission='read:orders'] button").click()
    until(lambda: not browser.find_elements(By.CSS_SELECTOR, "tr[data-permission='read:orders']"), what="read:orders removed")
    shot(browser, "role")
    role_id = browser.current_url.rsplit("/", 1)[1]
    held = requests.get(issuer + f"api/v2/roles/{role_id}/permissions", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    held = held["permissions"] if isinstance(held, dict) else held
    assert [p["permission_name"] for p in held] == ["write:orders"], held
