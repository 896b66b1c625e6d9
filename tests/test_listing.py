"""Listings pipe: `--format table|tsv|csv|json` on every listing command, rows on stdout
and words on stderr, piped tables at full width."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import cli, oncall_subprocess
from tui.cli.listing import Format, delimited
from tui.core.config.settings import load_config

LISTINGS = (
    ("alerts", "list", "--status", "all"),
    ("bugs", "list", "--status", "all"),
    ("shift", "list"),
)


@pytest.mark.parametrize("command", LISTINGS, ids=lambda c: " ".join(c[:2]))
def test_every_format_lists_the_same_rows(
    drill_config: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    base: tuple[str | Path, ...] = ("--config", drill_config, "--now", "2026-11-26T04:00", *command)
    if command[0] == "bugs":
        model = next(iter(load_config(drill_config).config.models))
        for title in ("plain", 'a title, with "quotes"\tand a tab'):
            new = ("bugs", "new", "--title", title, "--model", model, "--as", "alice")
            filed = cli(capsys, "--config", drill_config, "--now", "2026-11-26T04:00", *new)
            assert filed.code == 0, filed.err
    as_json = cli(capsys, *base, "--json")
    assert as_json.code == 0, as_json.err
    records = as_json.json()
    assert records, "the drill should have some"
    ids = [str(r["id"]) for r in records]
    assert cli(capsys, *base, "--format", "json").json() == records
    for fmt, sep in (("tsv", "\t"), ("csv", ",")):
        out = cli(capsys, *base, "--format", fmt)
        assert out.code == 0 and out.err == "", out.err
        rows = list(csv.reader(io.StringIO(out.out), delimiter=sep))
        assert rows[0][0] == "id"
        assert [r[0] for r in rows[1:]] == ids
        assert len({len(r) for r in rows}) == 1, "every row has every column"
    table = cli(capsys, *base)
    lines = table.out.splitlines()
    assert lines[0].split()[0] == "id"
    assert [line.split()[0] for line in lines[1:]] == ids


def test_a_piped_table_is_never_cut(drill_config: Path) -> None:
    """Through a real pipe, at the default 80 columns a terminal would get."""
    listing = ("--config", drill_config, "--now", "2026-11-26T04:00", "alerts", "list")
    wide = oncall_subprocess(*listing, "--status", "all", env={"COLUMNS": "80"})
    assert wide.code == 0, wide.err
    records = json.loads(oncall_subprocess(*listing, "--status", "all", "--json").out)
    for r in records:
        what = r["feature"] or ""
        slice_text = " ".join(f"{k}={v}" for k, v in (r["slice"] or {}).items())
        line = next(x for x in wide.out.splitlines() if x.split()[:1] == [str(r["id"])])
        assert what in line and slice_text in line, line
        assert "…" not in line, line


def test_json_and_another_format_together_are_refused(
    drill_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    both = cli(capsys, "--config", drill_config, "alerts", "list", "--json", "--format", "tsv")
    assert both.code == 2
    assert "--json and --format tsv disagree" in both.err
    bad = cli(capsys, "--config", drill_config, "alerts", "list", "--format", "xml")
    assert bad.code == 2 and "xml" in bad.err


def test_cells_with_tabs_newlines_commas_and_escapes_stay_one_cell() -> None:
    cells = [["1", "a\tb", "line\nnext"], ["2", 'say "hi", then', "\x1b[31mred"]]
    tsv = delimited(("id", "x", "y"), cells, Format.tsv)
    rows = [line.split("\t") for line in tsv.splitlines()]
    assert [len(r) for r in rows] == [3, 3, 3]
    assert rows[1][1] == "a\\tb" and rows[1][2] == "line\\nnext"
    assert "\x1b" not in tsv and "\\x1b[31mred" in tsv
    parsed = list(csv.reader(io.StringIO(delimited(("id", "x", "y"), cells, Format.csv))))
    assert parsed[1] == ["1", "a\tb", "line\nnext"]
    assert parsed[2][1] == 'say "hi", then' and parsed[2][2] == "\\x1b[31mred"


def test_check_prints_the_firing_alerts_on_stdout(drill_config: Path) -> None:
    ran = oncall_subprocess("--config", drill_config, "--now", "2026-11-26T05:00", "check")
    assert ran.code == 0, ran.err
    assert "firing" in ran.out and ran.out.splitlines()[1].split()[0] == "id"
    assert "checked up to" in ran.err and "checked up to" not in ran.out


@pytest.mark.parametrize(
    "command",
    [("slices", "metrics", "--by"), ("slices", "worst"), ("slices", "series")],
    ids=lambda c: " ".join(c[:2]),
)
def test_slice_listings_give_the_same_rows_in_every_format(
    drill_config: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    settings = load_config(drill_config)
    model = next(iter(settings.config.models))
    spec = settings.model(model)
    args: list[str | Path] = ["--config", drill_config, "--now", "2026-11-26T04:00", *command]
    if command[-1] == "--by":
        args.append(spec.slices[0])
    args += ["--model", model, "--since", "2026-11-19"]
    if command[1] == "worst":
        args += ["--min-support", "10"]
    records = cli(capsys, *args, "--format", "json").json()
    # The same answer; DuckDB's parallel sums may differ in the last bit between runs.
    assert _rounded(records) == _rounded(cli(capsys, *args, "--json").json())
    assert records, "the drill should give some rows"
    for fmt, sep in (("tsv", "\t"), ("csv", ",")):
        out = cli(capsys, *args, "--format", fmt)
        assert out.code == 0, out.err
        rows = list(csv.reader(io.StringIO(out.out), delimiter=sep))
        assert len(rows) == len(records) + 1
        assert len({len(r) for r in rows}) == 1


def _rounded(value: Any) -> Any:
    """``value`` with every float to 12 significant digits, for comparing two runs."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


@pytest.mark.parametrize("by", [False, True], ids=["all", "by slice"])
def test_labels_delay_gives_the_same_days_in_every_format(
    drill_config: Path, capsys: pytest.CaptureFixture[str], by: bool
) -> None:
    settings = load_config(drill_config)
    model = next(iter(settings.config.models))
    column = settings.model(model).slices[0]
    args: list[str | Path] = ["--config", drill_config, "--now", "2026-11-26T04:00"]
    args += ["labels", "delay", "--model", model, "--since", "2026-11-19"]
    if by:
        args += ["--by", column]
    report = cli(capsys, *args, "--json").json()
    again = cli(capsys, *args, "--format", "json").json()
    # The delay percentiles are DuckDB's approximate quantiles, which vary between runs.
    assert _counts(again) == _counts(report), "--json is --format json"
    days = report["days"]
    assert days, "the drill has labelled days"
    for fmt, sep in (("tsv", "\t"), ("csv", ",")):
        out = cli(capsys, *args, "--format", fmt)
        assert out.code == 0, out.err
        rows = list(csv.reader(io.StringIO(out.out), delimiter=sep))
        assert rows[0][:2] == (["day", column] if by else ["day", "n"])
        assert len(rows) == len(days) + 1
        assert [r[0] for r in rows[1:]] == [d["day"][5:10] for d in days]
        if by:
            assert [r[1] for r in rows[1:]] == [str(d[column]) for d in days]
        assert len({len(r) for r in rows}) == 1, "every row has every column"
        assert "labelled; delay p50" in out.err and "labelled" not in out.out


def test_labels_delay_piped_is_never_cut(drill_config: Path) -> None:
    model = next(iter(load_config(drill_config).config.models))
    base = ("--config", drill_config, "--now", "2026-11-26T04:00", "labels", "delay")
    piped = oncall_subprocess(*base, "--model", model, env={"COLUMNS": "40"})
    assert piped.code == 0, piped.err
    header = next(line for line in piped.out.splitlines() if line.startswith("day"))
    assert header.split()[:7] == ["day", "n", "≤1d", "≤3d", "≤7d", "≤14d", "now"]
    assert header.rstrip().endswith("overdue") and "…" not in piped.out


def _counts(report: dict[str, Any]) -> list[dict[str, Any]]:
    """A delay report's days without their approximate percentiles."""
    return [{k: v for k, v in d.items() if not k.endswith("_hours")} for d in report["days"]]
