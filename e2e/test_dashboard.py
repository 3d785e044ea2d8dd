"""The dashboard in a real browser (headless Chromium, see browser.py): an operator signs in
through the hosted login page, writes an action from a template in the CodeMirror editor (with
completion from the trigger catalog and a build error shown at its line), tests it, deploys it,
puts it first in the post-login flow, and an end user's login carries its claim; then version 1
is deployed again. Screenshots of each page go to $GATEHOUSE_SCREENSHOTS (default: a temp dir);
`scripts/dashboard-screenshots` copies two of them to docs/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from auth0.management import Auth0
from browser import wait_for
from dashboard_support import shot, sign_in_operator, until
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select
from support import App, Authorization, Browser, Login, User, log_in, unique

NS = "https://gatehouse.e2e/"




def set_code(browser: Any, code: str) -> None:
    browser.execute_script("document.querySelector('#panel-code .CodeMirror').CodeMirror.setValue(arguments[0])", code)


def test_operator_writes_tests_deploys_and_orders_an_action(
    browser: Any,
    issuer: str,
    mgmt: Auth0,
    management_token: dict[str, Any],
    make_user: Callable[..., User],
    bind_actions: Callable[..., Any],
    authorize: Callable[..., Authorization],
    redeem: Callable[[Authorization, str], Login],
    web_app: App,
) -> None:
    operator = make_user(email_verified=True)
    token = management_token["access_token"]
    other = bind_actions(
        "post-login",
        "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('" + NS + "other', 1); };",
    )[0]

    # Sign in through the hosted login page.
    sign_in_operator(browser, issuer, token, operator)
    shot(browser, "actions")

    # Create an action from a template.
    name = unique("greeting")
    browser.find_element(By.ID, "new-name").send_keys(name)
    Select(browser.find_element(By.ID, "new-trigger")).select_by_value("post-login")
    Select(browser.find_element(By.ID, "new-template")).select_by_visible_text("Claims from roles")
    browser.find_element(By.CSS_SELECTOR, "form.create button[type=submit]").click()
    until(lambda: wait_for(browser, "main h1").text == name, what="the editor")
    until(lambda: browser.find_element(By.CSS_SELECTOR, "#panel-code .CodeMirror"), what="CodeMirror")
    assert "event.authorization" in browser.execute_script(
        "return document.querySelector('#panel-code .CodeMirror').CodeMirror.getValue()"
    )

    # Type into the editor and see the catalog's completion for api.idToken.
    set_code(browser, "exports.onExecutePostLogin = async (event, api) => {\n  \n};\n")
    browser.execute_script(
        "const cm = document.querySelector('#panel-code .CodeMirror').CodeMirror; cm.focus(); cm.setCursor({line: 1, ch: 2});"
    )
    browser.find_element(By.CSS_SELECTOR, "#panel-code .CodeMirror textarea").send_keys("api.idToken.")
    hints = until(lambda: browser.find_element(By.CSS_SELECTOR, ".CodeMirror-hints"), what="the completion list")
    assert "setCustomClaim()" in hints.text
    shot(browser, "editor-completion")

    # A build error is shown at its line; the fix builds.
    set_code(browser, "exports.onExecutePostLogin = async (event, api) => {\n  const x = ;\n};\n")
    browser.find_element(By.ID, "save").click()
    error = until(lambda: browser.find_element(By.CSS_SELECTOR, ".build-errors li"), timeout=60, what="a build error")
    assert error.text.startswith("Line 2"), error.text
    assert browser.find_elements(By.CSS_SELECTOR, ".CodeMirror-code .line-error")
    shot(browser, "editor-build-error")
    set_code(
        browser,
        "exports.onExecutePostLogin = async (event, api) => {\n"
        f"  console.log('greeting', event.user.email);\n  api.idToken.setCustomClaim('{NS}greeting', 'hello');\n}};\n",
    )
    browser.find_element(By.ID, "save").click()
    until(lambda: "Built" in browser.find_element(By.CSS_SELECTOR, ".title-row").text, timeout=60, what="the build")

    # The test pane runs the draft and shows the command and the console line.
    browser.find_element(By.ID, "tab-test").click()
    browser.find_element(By.ID, "run-test").click()
    commands = until(lambda: browser.find_element(By.CSS_SELECTOR, ".commands"), timeout=30, what="the test result")
    assert "idToken.setCustomClaim" in commands.text
    assert "greeting" in browser.find_element(By.CSS_SELECTOR, ".console").text
    shot(browser, "test-pane")

    # Deploy (version 1).
    browser.find_element(By.ID, "deploy").click()
    until(lambda: "Deployed v1" in browser.find_element(By.CSS_SELECTOR, ".title-row").text, what="the deploy")

    # A second version, so that there is something to revert.
    browser.find_element(By.ID, "tab-code").click()
    set_code(
        browser,
        f"exports.onExecutePostLogin = async (event, api) => {{\n  api.idToken.setCustomClaim('{NS}greeting', 'hello again');\n}};\n",
    )
    browser.find_element(By.ID, "deploy").click()
    until(lambda: "Deployed v2" in browser.find_element(By.CSS_SELECTOR, ".title-row").text, timeout=60, what="version 2")

    # Flows: drag it from the palette onto the other action (it lands before it), move it with
    # the keyboard and back, Apply. Chromium under WebDriver does not run native HTML5 drags, so
    # the drag is the browser's own DragEvents with one DataTransfer, as a mouse drag sends them.
    browser.get(issuer + "dashboard/#/flows")
    until(lambda: browser.find_element(By.CSS_SELECTOR, "[data-trigger=post-login] li.binding"), what="the flows")

    def post_login_names() -> list[str]:
        return [li.get_attribute("data-name") for li in browser.find_elements(By.CSS_SELECTOR, "[data-trigger=post-login] li.binding")]

    assert post_login_names()[0] == other.name, post_login_names()
    column = browser.find_element(By.CSS_SELECTOR, "[data-trigger=post-login]")
    chip = column.find_element(By.CSS_SELECTOR, f".palette .chip[data-action='{name}']")
    target = column.find_element(By.CSS_SELECTOR, f"li.binding[data-name='{other.name}']")
    browser.execute_script(
        """const [chip, target] = arguments;
        const data = new DataTransfer();
        chip.dispatchEvent(new DragEvent('dragstart', { bubbles: true, dataTransfer: data }));
        target.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: data }));
        target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: data }));
        chip.dispatchEvent(new DragEvent('dragend', { bubbles: true, dataTransfer: data }));""",
        chip,
        target,
    )
    assert post_login_names()[:2] == [name, other.name], post_login_names()
    mine = browser.find_element(By.CSS_SELECTOR, f"[data-trigger=post-login] li.binding[data-name='{name}']")
    mine.send_keys(Keys.ALT, Keys.ARROW_DOWN)
    assert post_login_names()[:2] == [other.name, name], post_login_names()
    browser.switch_to.active_element.send_keys(Keys.ALT, Keys.ARROW_UP)
    names = post_login_names()
    assert names[:2] == [name, other.name], names
    shot(browser, "flows")
    browser.find_element(By.ID, "apply-post-login").click()
    until(lambda: "Applied the post-login flow" in browser.find_element(By.ID, "status").text, what="the apply")
    bound = [b["action"]["name"] for b in requests.get(issuer + "api/v2/actions/triggers/post-login/bindings", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()["bindings"]]
    assert bound[:2] == [name, other.name], bound

    # An end user, in another browser (a plain HTTP client), gets the claim.
    end_user = make_user(email_verified=True)
    authz = authorize(web_app)
    login = redeem(authz, log_in(Browser(), authz.url, end_user.email, end_user.password))
    assert login.id_claims[NS + "greeting"] == "hello again", login.id_claims

    # Versions: compare v1 with the draft, deploy v1 again.
    listed = requests.get(issuer + "api/v2/actions/actions", params={"action_name": name}, headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    action_id = next(a["id"] for a in listed["actions"] if a["name"] == name)
    browser.get(issuer + f"dashboard/#/actions/{action_id}/versions")
    row = until(lambda: browser.find_element(By.CSS_SELECTOR, "tr[data-version='1']"), what="the versions")
    row.find_element(By.XPATH, ".//button[starts-with(text(), 'Compare')]").click()
    assert "hello again" in until(lambda: browser.find_element(By.CSS_SELECTOR, ".diff-added"), what="the diff").text
    shot(browser, "versions")
    row.find_element(By.XPATH, ".//button[starts-with(text(), 'Deploy')]").click()
    until(lambda: "Deployed v1 again" in browser.find_element(By.ID, "status").text, what="the revert")
    login = redeem(authz := authorize(web_app), log_in(Browser(), authz.url, end_user.email, end_user.password))
    assert login.id_claims[NS + "greeting"] == "hello", login.id_claims
