"""Calendar-month windows (`1mo`) for the offline gap and estimated SLOs: three months
(December 2027 to a leap February 2028, rows on each month's first and last
microsecond) judged once per month, the offline gap equal to a plain-Python oracle over
the month's rows, the estimated SLO equal to the estimator called directly on exactly
the month's rows, both labelled by ``detail.period``; `config check` accepts them and
its warnings, like the never-judged finding, name the window `1mo`, not `31d`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from tests.helpers import cli
from tests.test_month_windows import MONTH, NOW, _oracle, _run, _world
from tui.core.checks.estimated import fitted_estimate
from tui.core.config.settings import Slo, load_config
from tui.core.config.times import Months, period_next
from tui.core.slices.estimates import estimate
from tui.core.slices.request import Request
from tui.core.store.connection import Store

FIRSTS = [datetime(2027, 12, 1), datetime(2028, 1, 1), datetime(2028, 2, 1)]
OFFLINE = {"accuracy": 0.85, "auc": 0.6}


def _config(gap_labeled: int = 100) -> str:
    return f"""\
store: store.duckdb
models:
  m:
    task: binary
    positive: "1"
    slices: [region]
    labels: {{expected_delay: 1d}}
    offline: {{accuracy: {OFFLINE["accuracy"]}, auc: {OFFLINE["auc"]}}}
    slos:
      - {{metric: estimated_accuracy, min: 0.7, window: 1mo, min_labeled: 100}}
      - {{metric: estimated_auc, min: 0.5, window: 1mo, min_labeled: 40, by: region}}
      - {{metric: estimated_recall, min: 0.01, window: 1d, min_labeled: 5}}
checks:
  window: 1d
  min_rows: 5
  drift: {{min_support: 10}}
  offline_gap: {{window: 1mo, min_labeled: {gap_labeled}}}
"""


def _ingest(folder: Path, config: str) -> pl.DataFrame:
    (folder / "oncall.yaml").write_text(config, encoding="utf-8")
    frame = _world(np.random.default_rng(11))
    frame.drop("label").write_parquet(folder / "p.parquet")
    labels = frame.select("prediction_id", "label", labeled_at=pl.col("ts") + timedelta(hours=2))
    labels.write_parquet(folder / "l.parquet")
    for kind, name in (("predictions", "p"), ("labels", "l")):
        _run(None, folder, "ingest", kind, str(folder / f"{name}.parquet"), "-m", "m")
    return frame


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame, Any]:
    """The store after one `oncall check` of three months, and what that check said."""
    folder = tmp_path_factory.mktemp("month_gap")
    frame = _ingest(folder, _config())
    return folder, frame, json.loads(_run(None, folder, "check", "--json"))


def _length(result: dict[str, Any]) -> timedelta:
    return datetime.fromisoformat(result["window_end"]) - datetime.fromisoformat(
        result["window_start"]
    )


def _month_rows(frame: pl.DataFrame, first: datetime) -> pl.DataFrame:
    return frame.filter((pl.col("ts") >= first) & (pl.col("ts") < period_next(first, MONTH)))


def test_the_offline_gap_is_judged_per_month_against_the_oracle(
    checked: tuple[Path, pl.DataFrame, Any],
) -> None:
    _folder, frame, out = checked
    gaps = [r for r in out["results"] if r["kind"] == "offline_gap"]
    by = {(r["check"], r["window_start"][:7]): r for r in gaps}
    # One result per metric and month, none left over (a day's window, a month twice).
    assert len(by) == len(gaps) == 2 * len(FIRSTS)
    for first in FIRSTS:
        rows = _month_rows(frame, first)
        key = f"{first:%Y-%m}"
        for metric, offline in OFFLINE.items():
            r = by[(f"offline_gap:{metric}", key)]
            assert datetime.fromisoformat(r["window_start"]) == first
            assert _length(r) == period_next(first, MONTH) - first
            assert r["n"] == rows.height
            online = _oracle(rows, metric)
            assert r["detail"]["online"] == pytest.approx(online, rel=1e-9)
            assert r["value"] == pytest.approx((offline - online) / offline, rel=1e-9)
            assert r["detail"]["period"] == key
    # February's accuracy fell (0.45 against 0.85 offline): critical there only.
    status = {m: by[("offline_gap:accuracy", m)]["status"] for m in ("2027-12", "2028-01")}
    assert status == {"2027-12": "pass", "2028-01": "pass"}
    assert by[("offline_gap:accuracy", "2028-02")]["status"] == "critical"


def test_the_estimated_slo_is_the_estimator_on_each_months_rows(
    checked: tuple[Path, pl.DataFrame, Any],
) -> None:
    folder, frame, out = checked
    results = [r for r in out["results"] if r["kind"] == "estimated_slo"]
    monthly = [r for r in results if _length(r) > timedelta(days=2)]
    by = {
        (r["check"], r["window_start"][:7], tuple(sorted((r["slice"] or {}).items()))): r
        for r in monthly
    }
    assert len(by) == len(monthly) == len(FIRSTS) * 3  # accuracy, and AUC per region
    settings = load_config(folder / "oncall.yaml")
    spec = settings.model("m")
    with Store(settings.store_path).read() as con:
        fitted = fitted_estimate(con, settings, "m", NOW)
        for first in FIRSTS:
            end = period_next(first, MONTH)
            rows = _month_rows(frame, first)
            key = f"{first:%Y-%m}"
            req = Request("m", spec, first, end, NOW)
            (whole,) = estimate(con, req, fitted, every=None).rows
            r = by[("slo:estimated_accuracy", key, ())]
            assert datetime.fromisoformat(r["window_start"]) == first
            assert datetime.fromisoformat(r["window_end"]) == end
            assert r["n"] == whole.n == rows.height
            assert r["value"] == pytest.approx(whole.estimated["accuracy"], rel=1e-9)
            assert r["detail"]["interval"] == pytest.approx(list(whole.band["accuracy"] or ()))
            assert r["detail"]["period"] == key
            # Labels are in: the realised value is the month's, in plain Python.
            assert r["detail"]["realised"] == pytest.approx(_oracle(rows, "accuracy"), rel=1e-9)
            for part in estimate(con, req, fitted, every=None, by="region").rows:
                assert part.slice is not None
                region = part.slice["region"]
                s = by[("slo:estimated_auc:by=region", key, (("region", region),))]
                assert s["n"] == part.n == rows.filter(pl.col("region") == region).height
                assert s["value"] == pytest.approx(part.estimated["auc"], rel=1e-9)
                assert s["detail"]["period"] == key
    # The estimate stayed high while February's realised accuracy fell: judged wrong.
    feb = by[("slo:estimated_accuracy", "2028-02", ())]
    assert feb["status"] == "pass" and feb["detail"]["estimate_right"] is False
    # The daily estimated SLO beside them keeps its day windows.
    daily = [r for r in results if r["check"] == "slo:estimated_recall"]
    assert len(daily) >= 90 and all(_length(r) == timedelta(days=1) for r in daily)
    assert all("period" not in r["detail"] for r in daily)


def test_config_check_accepts_months_and_warnings_say_1mo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert Slo(metric="estimated_accuracy", min=0.5, window="1mo").window == MONTH
    assert Slo(metric="estimated_auc", min=0.5, window="3mo").window == Months(3)
    _ingest(tmp_path, _config())
    r = _run(capsys, tmp_path, "config", "check")
    assert r.code == 0, (r.out, r.err)
    # An offline gap that needs more labels than a month holds: said per 1mo window.
    (tmp_path / "oncall.yaml").write_text(_config(gap_labeled=100_000), encoding="utf-8")
    at = ["--config", str(tmp_path / "oncall.yaml"), "--now", NOW.isoformat()]
    r = cli(capsys, *at, "config", "check")
    assert r.code == 2 and "Traceback" not in r.err  # never judged: an error
    text = r.out + r.err
    assert "checks.offline_gap.window" in text and "per 1mo window" in text, text
    assert "31d" not in text
    # After a check, the never-judged finding names the window as the config does.
    out = _run(capsys, tmp_path, "check", "--json").json()
    blind = [x for x in out["results"] if x["check"] == "never_judged:offline_gap"]
    assert len(blind) == 1, [x["check"] for x in out["results"] if "never" in x["check"]]
    detail = blind[0]["detail"]
    assert detail["window"] == "1mo" and "per 1mo window" in detail["message"], detail
    assert "31d" not in detail["message"]


def test_a_monthly_offline_gap_alert_names_and_drills_into_its_month(
    checked: tuple[Path, pl.DataFrame, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _frame, _out = checked
    listed = _run(capsys, folder, "alerts", "list", "--json").json()
    (alert,) = [a for a in listed if a["check"] == "offline_gap:accuracy"]
    assert alert["detail"]["period"] == "2028-02"
    drill = _run(capsys, folder, "examples", "--alert", str(alert["id"]), "--json").json()
    assert drill["drill"]["since"].startswith("2028-02-01")
    assert drill["drill"]["until"].startswith("2028-03-01")
