"""The Management API against its own OpenAPI document (/api/v2/openapi.json), with schemathesis.

Schemathesis generates requests from the document — valid ones and, in its negative mode,
invalid ones — and sends them to the live server with the bootstrap client's Management API
token. Every answer must be a non-5xx status the document declares, with a body that fits the
schema declared for it; a request the document does not allow must be refused with a 4xx;
an undeclared method must be 405 with an Allow header. Destructive
operations run too: they act on this suite's own throw-away server, and since schemathesis reuses
identifiers it has seen in responses (it can delete the database connection or rotate a secret),
the test is marked `last` and runs after every other one (conftest.py).

SQLite pass only: the PostgreSQL pass (GATEHOUSE_E2E_DATABASE_URL set) runs the same server code.
Operations whose bodies make the server install npm packages (creating or updating an action,
whose `dependencies` would be random package names) are left out.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from support import Server

#: Checks the run asserts (schemathesis's names).
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "response_schema_conformance",
    "unsupported_method",
    "allow_header_conformance",
    "negative_data_rejection",
)

#: Actions drafts would make the server fetch random npm package names.
EXCLUDED_OPERATIONS = ("post_actions_actions", "patch_actions_actions_{id}")

#: Seconds: schemathesis's own budget, and the hard limit on the process.
MAX_TIME = 100
HARD_TIMEOUT = 170


@pytest.mark.last
@pytest.mark.timeout(HARD_TIMEOUT + 20)
def test_management_api_conforms_to_its_openapi_document(
    gatehouse: Server, management_token: dict[str, Any], tmp_path: Path
) -> None:
    if os.environ.get("GATEHOUSE_E2E_DATABASE_URL"):
        pytest.skip("schemathesis runs in the SQLite pass only")
    st = Path(sys.executable).parent / "st"
    assert st.is_file(), f"schemathesis is not installed in {Path(sys.executable).parent}"
    command = [
        str(st),
        "run",
        gatehouse.url("/api/v2/openapi.json"),
        "--header",
        f"Authorization: Bearer {management_token['access_token']}",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        "8",
        "--max-time",
        str(MAX_TIME),
        "--seed",
        os.environ.get("GATEHOUSE_E2E_SCHEMATHESIS_SEED", "20261206"),
        # One worker: hypothesis parses lambdas' source with `ast` while describing strategies,
        # and on CPython 3.11.7 two threads doing that race (gh-106905, "AST constructor
        # recursion depth mismatch").
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--suppress-health-check",
        "all",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    for operation in EXCLUDED_OPERATIONS:
        command += ["--exclude-operation-id", operation]
    env = dict(os.environ, NO_COLOR="1")
    try:
        result = subprocess.run(
            command,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=HARD_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        partial = e.stdout or b""
        if isinstance(partial, bytes):
            partial = partial.decode(errors="replace")
        pytest.fail(f"schemathesis ran longer than {HARD_TIMEOUT}s:\n{partial[-20000:]}")
    output = result.stdout + result.stderr
    (tmp_path / "schemathesis.out").write_text(output)
    assert result.returncode == 0, (
        f"schemathesis found problems (whole output in {tmp_path / 'schemathesis.out'}):\n{output[-30000:]}"
    )
