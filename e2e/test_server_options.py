"""`gatehouse serve` refuses settings it cannot use, with a message that names the setting and
what it accepts, before it opens a database or starts a worker."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import _server_binary


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("GATEHOUSE_SANDBOX_WARMUP_FLOWS", "lots", "GATEHOUSE_SANDBOX_WARMUP_FLOWS must be a number from 0 to 100000, got lots"),
        ("GATEHOUSE_SANDBOX_WARMUP_FLOWS", "-5", "GATEHOUSE_SANDBOX_WARMUP_FLOWS must be a number from 0 to 100000, got -5"),
        ("GATEHOUSE_SANDBOX_CALLER_WAIT_MS", "5000", "GATEHOUSE_SANDBOX_CALLER_WAIT_MS must be a number from 0 to 1000, got 5000"),
        ("GATEHOUSE_SANDBOX_WORKERS", "0", "GATEHOUSE_SANDBOX_WORKERS must be a number from 1 to 256, got 0"),
        ("GATEHOUSE_ACTIONS_TIMEOUT_MS", "5", "GATEHOUSE_ACTIONS_TIMEOUT_MS must be a number of milliseconds from 100 to 300000, got 5"),
    ],
)
def test_an_unusable_setting_stops_the_server_with_its_rule(tmp_path: Path, variable: str, value: str, message: str) -> None:
    database = tmp_path / "never.sqlite"
    finished = _serve(database, {variable: value})
    assert finished.returncode != 0
    assert message in finished.stderr
    assert not database.exists()


def test_a_master_key_file_that_cannot_be_written_stops_the_server(tmp_path: Path) -> None:
    """Without GATEHOUSE_MASTER_KEY, the SQLite default keeps a generated key beside the
    database. When that file cannot be written, starting anyway would encrypt secrets with a
    key lost at the next restart."""
    database = tmp_path / "gatehouse.sqlite"
    # A link to a place that does not exist: the key file can be neither read nor created
    # (it is created with O_EXCL, never through a link).
    (tmp_path / "gatehouse.sqlite.key").symlink_to(tmp_path / "missing" / "key")
    finished = _serve(database, {"GATEHOUSE_SANDBOX_WARMUP_FLOWS": "0"})
    assert finished.returncode != 0
    assert f"cannot write the generated master key to {database}.key" in finished.stderr


def test_a_master_key_file_that_cannot_be_read_stops_the_server_and_is_kept(tmp_path: Path) -> None:
    """An existing key file the server cannot read is never replaced by a new key: the data
    encrypted with the old one would be lost."""
    database = tmp_path / "gatehouse.sqlite"
    (tmp_path / "gatehouse.sqlite.key").mkdir()
    finished = _serve(database, {"GATEHOUSE_SANDBOX_WARMUP_FLOWS": "0"})
    assert finished.returncode != 0
    assert f"the master key file {database}.key exists but cannot be read" in finished.stderr
    assert (tmp_path / "gatehouse.sqlite.key").is_dir()


def _serve(database: Path, settings: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Runs `gatehouse serve` on `database` with `settings` as its only GATEHOUSE_ variables,
    for a server expected to stop by itself."""
    environment = {key: text for key, text in os.environ.items() if not key.startswith("GATEHOUSE_")}
    environment.update(settings)
    return subprocess.run(
        [str(_server_binary()), "serve", "--port", "0", "--database", f"sqlite://{database}"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
