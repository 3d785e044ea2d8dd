"""The README works when pasted: every ```sh block of README.md, in order, in ONE bash process,
against a server started as the README says (`gatehouse serve` in the background, on a fresh
SQLite database in a directory of its own, which is also the shell's working directory).

Rules, so that the README stays the thing tested:
- a block preceded by `<!-- readme-test: skip … -->` is not run (starting the server, which this
  test does itself, and running the test suite);
- `swift run gatehouse` becomes the binary under test ($GATEHOUSE_BIN), and `localhost:8080`
  the free port the server listens on; nothing else is changed;
- the hosted login page is driven with curl and a cookie jar, as the README itself documents for
  readers without a browser (the README's "Log in through the browser" block is that real HTTP
  client run against the same URLs a browser would follow).

The whole run is bounded (START_TIMEOUT + SCRIPT_TIMEOUT, under two minutes). Only loopback is
used. Skipped on the PostgreSQL pass: the README's story is the default SQLite file.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
README = REPO_ROOT / "README.md"
SKIP_MARK = re.compile(r"<!--\s*readme-test:\s*skip\b")
BLOCK = re.compile(r"^```sh\n(.*?)^```\n", re.DOTALL | re.MULTILINE)
MARKER = "@@readme-block@@"
START_TIMEOUT = 30
SCRIPT_TIMEOUT = 80

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("GATEHOUSE_E2E_DATABASE_URL")),
    reason="the README walkthrough runs on its own fresh SQLite file (the default database)",
)


def readme_blocks() -> list[tuple[str, bool]]:
    """Each ```sh block of the README, in order, with whether it is marked to be skipped (a skip
    comment between it and the previous block's end, right before it)."""
    text = README.read_text(encoding="utf-8")
    blocks = []
    previous_end = 0
    for match in BLOCK.finditer(text):
        before = text[previous_end : match.start()].rstrip().splitlines()
        skipped = bool(before) and bool(SKIP_MARK.search(before[-1]))
        blocks.append((match.group(1), skipped))
        previous_end = match.end()
    return blocks


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _binary() -> Path:
    configured = os.environ.get("GATEHOUSE_BIN")
    path = Path(configured) if configured else REPO_ROOT / ".build" / "debug" / "gatehouse"
    return path if path.is_absolute() else REPO_ROOT / path


def _clean_environment() -> dict[str, str]:
    """The caller's environment without Gatehouse settings (the README uses the defaults), keeping
    the Node.js binary choice, which is about this machine rather than the walkthrough."""
    keep = {"GATEHOUSE_NODE", "GATEHOUSE_NODE_RUNTIMES", "GATEHOUSE_BUNDLES_DIR"}
    return {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_") or k in keep}


def test_readme_blocks_run_in_order_in_one_shell(tmp_path: Path) -> None:
    blocks = readme_blocks()
    skipped = [code for code, skip in blocks if skip]
    assert any("gatehouse serve" in code for code in skipped), "the server-start block is marked"
    assert any("scripts/test" in code for code in skipped), "the test-suite block is marked"
    run = [code for code, skip in blocks if not skip]
    assert len(run) >= 10, "the README has its walkthrough"

    binary = _binary()
    port = _free_port()
    env = _clean_environment()
    env["GATEHOUSE_PORT"] = str(port)
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        # "swift run gatehouse serve", with the debug binary, in the background.
        server = subprocess.Popen(
            [str(binary), "serve"], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert server.poll() is None, log_path.read_text(errors="replace")
            try:
                if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "server not ready:\n" + log_path.read_text(errors="replace")
            time.sleep(0.2)

        # First start: the credentials file, private, its path printed, the secret nowhere in the output.
        credentials_file = tmp_path / "gatehouse.sqlite.credentials"
        credentials = json.loads(credentials_file.read_text())
        assert stat.S_IMODE(credentials_file.stat().st_mode) == 0o600
        server_output = log_path.read_text(errors="replace")
        assert "gatehouse.sqlite.credentials" in server_output
        assert credentials["client_secret"] not in server_output

        script = ["set -euo pipefail"]
        for code in run:
            code = code.replace("swift run gatehouse", '"$GATEHOUSE_BIN"').replace("localhost:8080", f"localhost:{port}")
            script += [f"echo '{MARKER}'", code]
        env["GATEHOUSE_BIN"] = str(binary)
        result = subprocess.run(
            ["bash", "-c", "\n".join(script)],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=SCRIPT_TIMEOUT,
        )
        report = f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        assert result.returncode == 0, report
        outputs = [part.strip() for part in result.stdout.split(MARKER)[1:]]
        assert len(outputs) == len(run), report
        by_block = dict(zip(run, outputs))

        def output_of(snippet: str) -> str:
            matches = [out for code, out in by_block.items() if snippet in code]
            assert len(matches) == 1, f"one block with {snippet!r}"
            return matches[0]

        # The documented results, block by block.
        assert re.search(r"token: \S", output_of("BOOTSTRAP_ID=$(jq")), report
        assert "token: null" not in output_of("BOOTSTRAP_ID=$(jq"), report
        assert output_of("gatehouse credentials |") == f"client: {credentials['client_id']}", report
        assert re.search(r"app: \w+, user: auth0\|\w+", output_of("JANE_ID=$(curl")), report
        assert "http://localhost:3000/callback?code=…&state=xyz" in output_of("CALLBACK=$(curl"), report
        exchanged = output_of("code_verifier=$VERIFIER")
        assert '"token_type": "Bearer"' in exchanged and '"email": "jane@example.com"' in exchanged, report
        logout = output_of("/v2/logout").splitlines()
        assert logout == ["302 http://localhost:3000/", "302 http://localhost:3000/?state=bye"], report
        logs = [json.loads(line) for line in output_of('"$GH/api/v2/logs?per_page=5"').splitlines()]
        assert {"type": "s", "description": "Successful login", "client_name": "My App", "user_name": "jane@example.com"} in logs, report
        assert any(e["type"] == "seacft" and e["user_name"] == "jane@example.com" for e in logs), report
        local = json.loads(output_of("actions run add-roles.js"))
        assert local["status"] == "completed", report
        assert output_of("jq -n --rawfile code add-roles.js").splitlines()[-1] == "draft: built", report
        assert '"number":1,"deployed":true' in output_of("/versions -H"), report
        assert output_of("delete while bound") == "delete while bound: 409", report
        greeting = '[{"args":["https://example.com/greeting","hello, Jane"],"method":"api.idToken.setCustomClaim"}]'
        assert output_of("rules convert greet-rule.js").splitlines()[-1] == greeting, report
        # The end of the story: Jane's role is in her ID token.
        assert output_of("ROLE_ID=$(curl").splitlines()[-1] == '["admin"]', report
        execution = json.loads(output_of("EXECUTION_ID=$(curl"))
        assert execution["trigger_id"] == "post-login", report
        # The console output of the action is there (the add-roles action logs a line).
        assert execution["results"][0]["action_name"] == "add-roles" and execution["results"][0]["logs"], report
        assert output_of("rules-configs/GREETING").splitlines() == ["GREETING", '"hello from a rule"'], report
        assert output_of("HOOK_ID=$(curl").splitlines() == ["201", '"from a legacy hook"'], report
        mfa = output_of("MFA_TOKEN=$(curl").splitlines()
        assert mfa[0] == "7" and mfa[1] == '["add-roles","require-mfa"]' and mfa[-1] == '["mfa"]', report
        assert output_of('"value":"add-roles"}}]}\' | jq').splitlines()[-1] == '["add-roles"]', report
        assert output_of("OPERATOR_ROLE=$(curl").splitlines()[-1] == "204", report

        apache = output_of("APACHE_APP=$(curl").splitlines()
        assert [line.split()[0] for line in apache] == ["OIDCClientID", "OIDCClientSecret", "OIDCCryptoPassphrase"], report
        assert all(len(line.split()) == 2 and line.split()[1] != "null" for line in apache), report

        # No secret reached the server's log: not the bootstrap secret, not the app's, not a code.
        server_output = log_path.read_text(errors="replace")
        assert credentials["client_secret"] not in server_output
        assert "code=" not in server_output
        request_lines = [line for line in server_output.splitlines() if " request" in line and "method=" in line]
        assert any("path=/oauth/token" in line and f"client_id={credentials['client_id']}" in line for line in request_lines)
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
