"""CLI polish (issue 14): an example in every `--help`, shell completion through the
lazy command table, options converted without pydantic, and the memo of checked configs
that lets `alerts list` start without the config models."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from typer._click.core import Command, Context
from typer._click.exceptions import BadParameter, UsageError
from typer._coercion import build_runtime_param
from typer.core import TyperGroup

from tests.helpers import cli, oncall_subprocess, write_config
from tui.cli.coercion import ChoiceParam, PlainParam, lighten
from tui.cli.main import app
from tui.core.config import checked
from tui.sandbox.demo import build_world_dir
from tui.sandbox.scenario import load_scenario


def _tree() -> Iterator[tuple[list[str], Command]]:
    """Every command of `oncall`, as (path, command), the root first."""
    root = lighten(typer.main.get_command(app))

    def walk(command: Command, path: list[str]) -> Iterator[tuple[list[str], Command]]:
        yield path, command
        if isinstance(command, TyperGroup):
            ctx = Context(command, info_name="oncall")
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None, name
                yield from walk(sub, [*path, name])

    yield from walk(root, [])


TREE = list(_tree())


def _examples(help_text: str) -> list[str]:
    """The command lines under "Example:" in a help text."""
    lines = help_text.splitlines()
    found: list[str] = []
    for i, line in enumerate(lines):
        if line.strip() == "Example:":
            for follow in lines[i + 1 :]:
                if not follow.strip():
                    break
                found.append(follow.strip())
    return found


def _resolve(words: list[str]) -> tuple[Command, list[str], list[str]]:
    """The command a line names, its path, and the arguments left for it (global options
    before the command are skipped with their values)."""
    by_path = {tuple(p): c for p, c in TREE}
    path: list[str] = []
    rest = list(words)
    while rest:
        if rest[0].startswith("--") and not path:
            rest = rest[2:]  # --now VALUE, --config VALUE, ...
            continue
        if (*path, rest[0]) in by_path:
            path.append(rest.pop(0))
            continue
        break
    return by_path[tuple(path)], path, rest


def test_the_tree_is_whole() -> None:
    names = {" ".join(p) for p, _ in TREE}
    assert {"", "alerts list", "alerts silence", "check", "doctor", "slices worst"} <= names
    assert len(names) > 50


@pytest.mark.parametrize("path", [p for p, _ in TREE], ids=lambda p: " ".join(p) or "oncall")
def test_every_help_ends_with_an_example_that_parses(
    path: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    result = cli(capsys, *path, "--help")
    assert result.code == 0, result.err
    examples = _examples(result.out)
    assert examples, f"`oncall {' '.join(path)} --help` shows no example:\n{result.out}"
    # The example is the help's last paragraph, and one of its lines runs this command.
    assert result.out.rstrip().endswith(examples[-1])
    ran_here = False
    for line in examples:
        words = shlex.split(line.split(" | ")[0].split(" > ")[0])
        assert words[0] == "oncall", line
        command, named, args = _resolve(words[1:])
        ran_here = ran_here or named[: len(path)] == path
        # Parsing checks every option exists and every value converts (no command runs).
        try:
            command.make_context(" ".join(["oncall", *named]), args)
        except UsageError as exc:
            pytest.fail(f"the example `{line}` does not parse: {exc.format_message()}")
    assert ran_here, f"no example of `oncall {' '.join(path)}` itself: {examples}"


def _complete(words: str, cword: int) -> list[str]:
    env = {"_ONCALL_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    result = oncall_subprocess(env=env)
    assert result.code == 0, result.err
    return result.out.split()


def test_shell_completion_completes_commands_and_subcommands() -> None:
    assert _complete("oncall al", 1) == ["alerts"]
    assert _complete("oncall alerts s", 2) == ["show", "snooze", "silence", "silences"]
    assert "--status" in _complete("oncall alerts list --st", 3)
    # Run from bash, as a user would: the shell is found from the process tree. (A
    # second command keeps bash as the parent: `bash -c CMD` alone execs CMD in its place.)
    oncall = Path(sys.executable).parent / "oncall"
    script = subprocess.run(
        ["bash", "-c", f"{shlex.quote(str(oncall))} --show-completion; exit $?"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert script.returncode == 0, script.stderr
    assert "_ONCALL_COMPLETE=complete_bash" in script.stdout


def test_root_help_offers_completion(capsys: pytest.CaptureFixture[str]) -> None:
    out = cli(capsys, "--help").out
    assert "--install-completion" in out and "--show-completion" in out


SAMPLES: dict[str, list[Any]] = {
    "str": ["abc", "", " spaced ", "3"],
    "int": ["3", " 4 ", "-2", "+5", "1_000", "x", "3.5", "3.0", "", "1e3", "0x10", "inf"],
    "float": ["1.5", "-2", " 3 ", "x", "", "1e3", "1_000", "inf", "-inf", "0x10"],
    "bool": ["true", "FALSE", "yes", "0", "maybe", True, False],
}


def _answer(runtime: Any, value: Any, param: Any, ctx: Context) -> tuple[str, Any]:
    try:
        return "ok", runtime._coerce_value(value, param=param, ctx=ctx)
    except BadParameter:
        return "refused", None


def test_plain_options_convert_as_typer_converts_them() -> None:
    """Every parameter given a pydantic-free converter answers as Typer's own adapter
    does: the same value, or both refuse it."""
    lightened = 0
    for _path, command in TREE:
        ctx = Context(command, info_name="oncall")
        for param in command.get_params(ctx):
            runtime = getattr(param, "_runtime_param", None)
            if not isinstance(runtime, PlainParam | ChoiceParam):
                continue  # Typer's own
            lightened += 1
            reference = build_runtime_param(param.type_descriptor)  # type: ignore[attr-defined]
            annotation = param.type_descriptor.annotation  # type: ignore[attr-defined]
            name = getattr(annotation, "__name__", "")
            values: list[Any] = SAMPLES.get(name, [])
            choices = getattr(annotation, "__members__", None)
            if choices:
                values = [*choices, *(c.upper() for c in choices), "nope", ""]
            assert values, f"no samples for {param.name}: {annotation}"
            for value in values:
                mine = _answer(runtime, value, param, ctx)
                theirs = _answer(reference, value, param, ctx)
                assert mine == theirs, (param.name, value, mine, theirs)
    assert lightened > 100


def _pydantic_after(folder: Path, *args: str) -> tuple[int, bool, str]:
    """Run the CLI in a fresh interpreter; its exit code, whether it imported pydantic,
    and its stderr."""
    code = (
        "import sys\n"
        "from tui.cli.main import main\n"
        f"rc = main({list(args)!r})\n"
        "print('PYDANTIC' if 'pydantic' in sys.modules else 'NO-PYDANTIC', file=sys.stderr)\n"
        "sys.exit(rc)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, check=False
    )
    return proc.returncode, "NO-PYDANTIC" not in proc.stderr, proc.stderr


def test_alerts_list_skips_the_config_models_once_the_config_was_checked(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The first run checks the config fully (pydantic), and remembers it.
    code, used, err = _pydantic_after(project, "alerts", "list", "--json")
    assert code == 0, err
    assert used
    code, used, err = _pydantic_after(project, "alerts", "list", "--json")
    assert code == 0, err
    assert not used, "a second `alerts list` built the config models again"
    # A changed config is checked again, and a bad one is refused as before.
    config = project / "oncall.yaml"
    config.write_text(config.read_text() + "\nsurprise: 1\n", encoding="utf-8")
    code, used, err = _pydantic_after(project, "alerts", "list", "--json")
    assert code == 2
    assert used
    assert "surprise: unknown key" in err


def _modules_after(folder: Path, *args: str) -> tuple[int, set[str], str]:
    """Run the CLI in a fresh interpreter; its exit code, the top-level packages it
    imported, and its stderr (the output itself is thrown away)."""
    code = (
        "import io, sys\n"
        "from tui.cli.main import main\n"
        "out, sys.stdout = sys.stdout, io.StringIO()\n"
        f"rc = main({list(args)!r})\n"
        "sys.stdout = out\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})), file=sys.stderr)\n"
        "sys.exit(rc)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, check=False
    )
    return proc.returncode, set(proc.stderr.split("\n")[-2].split()), proc.stderr


@pytest.mark.parametrize(
    "args", [("--help",), ("--version",), ("alerts", "list", "--json")], ids=" ".join
)
def test_help_version_and_json_listing_never_import_rich(
    project: Path, args: tuple[str, ...]
) -> None:
    """Issue 14's start-up: rich's console and text are only for what is drawn."""
    _modules_after(project, "alerts", "list", "--json")  # checks and remembers the config
    code, modules, err = _modules_after(project, *args)
    assert code == 0, err
    assert "tui" in modules and "typer" in modules  # the list is of this run
    assert "rich" not in modules
    assert not {"polars", "numpy", "pydantic", "textual"} & modules


def test_a_group_makes_only_the_subcommand_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """`alerts list` reads one command's signature, not the group's twelve; the group
    still lists them all, in the order they were declared."""
    from tui.cli import alerts
    from tui.cli.lazy import COMMANDS, load

    made: list[str] = []
    real = typer.main.get_command_from_info

    def spy(info: Any, **kwargs: Any) -> Command:
        made.append(info.name)
        return real(info, **kwargs)

    monkeypatch.setattr(typer.main, "get_command_from_info", spy)
    group = load("alerts", COMMANDS["alerts"])
    assert isinstance(group, TyperGroup)
    ctx = Context(group, info_name="alerts")
    assert made == []
    listing = group.get_command(ctx, "list")
    assert listing is not None and listing.name == "list"
    assert group.get_command(ctx, "list") is listing
    assert made == ["list"]
    declared = [c.name for c in alerts.app.registered_commands]
    assert group.list_commands(ctx) == declared and len(declared) > 10
    assert group.get_command(ctx, "nope") is None


def test_a_memo_that_does_not_match_is_ignored(project: Path) -> None:
    config = project / "oncall.yaml"
    seen = checked.stamp(config)
    assert seen is not None
    checked.remember(seen, "store.duckdb")
    assert checked.recall(checked.stamp(config)) == (project / "store.duckdb").resolve()
    # Another file's digest, a broken memo, a relative store path: all ignored.
    seen.memo.write_text(json.dumps({"digest": "0" * 64, "store": "/x"}), encoding="utf-8")
    assert checked.recall(checked.stamp(config)) is None
    seen.memo.write_text("{not json", encoding="utf-8")
    assert checked.recall(checked.stamp(config)) is None
    seen.memo.write_text(json.dumps({"digest": seen.digest, "store": 7}), encoding="utf-8")
    assert checked.recall(checked.stamp(config)) is None
    # A half-built demo is never taken from a memo: the full check refuses it.
    checked.remember(seen, "store.duckdb")
    (project / ".oncall-demo.building").write_text("", encoding="utf-8")
    assert checked.recall(checked.stamp(config)) is None


def test_the_memo_keeps_the_surfacing_policy_alerts_list_needs(project: Path) -> None:
    """`alerts list` holds the digest back without building the config's models: the
    memo carries the policy's numbers, and a memo from before them is not trusted."""
    config = project / "oncall.yaml"
    seen = checked.stamp(config)
    assert seen is not None
    checked.remember(seen, "store.duckdb", checked.SurfaceBar(0.25, 10, 3))
    assert checked.recall_surface(checked.stamp(config)) == (
        True,
        checked.SurfaceBar(0.25, 10, 3),
    )
    checked.remember(seen, "store.duckdb")
    assert checked.recall_surface(checked.stamp(config)) == (True, None)
    seen.memo.write_text(json.dumps({"digest": seen.digest, "store": "s"}), encoding="utf-8")
    assert checked.recall_surface(checked.stamp(config)) == (False, None)
    seen.memo.write_text(
        json.dumps({"digest": seen.digest, "store": "s", "surface": {"last": "x"}}),
        encoding="utf-8",
    )
    assert checked.recall_surface(checked.stamp(config)) == (False, None)


def test_the_memo_is_private(project: Path) -> None:
    seen = checked.stamp(write_config(project))
    assert seen is not None
    checked.remember(seen, "store.duckdb")
    assert seen.memo.stat().st_mode & 0o077 == 0


def test_the_demo_build_progress_counts_to_its_exact_total(tmp_path: Path) -> None:
    """The bar's total is the steps it counts: every delivery ingested (a folder of
    daily files per model and kind), the history, the checks; it ends at n/n, not
    short of an estimate."""
    spec = load_scenario("drill-checkout")
    seen: list[tuple[str, int, int | None]] = []
    checked_at: list[datetime] = []

    def step(message: str, n: int, /, total: int | None = None) -> None:
        seen.append((message, n, total))

    build_world_dir(
        spec,
        tmp_path,
        seed=spec.seed,
        scale=0.05,
        now=datetime(2026, 11, 26, 4, 0),
        step=step,
        run_checks=lambda _settings, _store, now: checked_at.append(now),
    )
    totals = [t for _, _, t in seen if t is not None]
    assert len(totals) == 1, "the exact total is said once, when known"
    folders = {p.parent for p in (tmp_path / "data").rglob("*") if p.is_file()}
    assert totals[0] == len(folders) + 2  # the history and the checks
    assert sum(n for _, n, _ in seen) == totals[0]
    assert checked_at and seen[-1][0] == "ran the checks"
