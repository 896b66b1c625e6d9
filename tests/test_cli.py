"""The command line's shape: version, help, usage errors, global options anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import churn_frame, cli, oncall_subprocess
from tui import __version__
from tui.cli.main import hoist_global_options


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(capsys, "--version")
    assert result.code == 0
    assert result.out.strip() == f"oncall {__version__}"


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    result = cli(capsys, "--help")
    assert result.code == 0
    for command in ("ingest", "demo", "init"):
        assert command in result.out


def test_unknown_command_and_option_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "frobnicate").code == 2
    result = cli(capsys, "ingest", "predictions", "--bogus")
    assert result.code == 2
    assert "No such option" in result.err


def test_global_options_work_before_or_after_the_command() -> None:
    assert hoist_global_options(["ingest", "labels", "f", "--config", "c.yaml", "--as=bob"]) == [
        "--config",
        "c.yaml",
        "--as=bob",
        "ingest",
        "labels",
        "f",
    ]
    assert hoist_global_options(["x", "--", "--config", "y"]) == ["x", "--", "--config", "y"]


def test_config_after_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.helpers import write_config

    config = write_config(tmp_path)
    data = tmp_path / "a.parquet"
    churn_frame(3).write_parquet(data)
    result = cli(capsys, "ingest", "predictions", data, "--model", "churn", "--config", config)
    assert result.code == 0, result.err


def test_console_script_runs(tmp_path: Path) -> None:
    result = oncall_subprocess("--version", cwd=tmp_path)
    assert result.code == 0
    assert result.out.startswith("oncall ")


def test_not_found_errors_say_where_the_ids_are_whichever_command_raised_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.helpers import write_config

    config = write_config(tmp_path)
    data = tmp_path / "a.parquet"
    churn_frame(3).write_parquet(data)
    assert cli(capsys, "--config", config, "ingest", "predictions", data, "-m", "churn").code == 0
    for args, hint in (
        (("alerts", "ack", "999"), "`oncall alerts list --status all` lists them"),
        (("alerts", "show", "999"), "`oncall alerts list --status all` lists them"),
        (("bugs", "comment", "999", "--text", "x"), "`oncall bugs list --status all` lists them"),
        (("shadow", "replay"), "`oncall shift start` begins one"),
        (("handoff",), "`oncall shift start` begins one"),
    ):
        result = cli(capsys, "--config", config, "--as", "alice", *args)
        assert result.code == 2, (args, result.err)
        assert hint in result.err, (args, result.err)
        assert "Traceback" not in result.err


def test_the_root_help_says_what_each_command_says_of_itself() -> None:
    """The root's help lists commands from a table (so it imports none of them); each
    summary must be the start of the command's own help, or the two drift apart."""
    from tui.cli.lazy import COMMANDS, load

    for name, entry in COMMANDS.items():
        command = load(name, entry)
        own = " ".join((command.help or "").split())
        assert own.startswith(entry.summary.rstrip(".")), (name, entry.summary, own[:80])
