"""The default demo carries weeks of the team's record: `oncall tune` learns from it,
lead indicators and the digest show something real."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import cli
from tui.core.store.connection import Store
from tui.sandbox.scenario import load_scenario

# Types whose suggestion must cut episodes while keeping every acted-on one.
MIN_TUNED = 3


def _tune(capsys: pytest.CaptureFixture[str], demo_dir: Path) -> list[dict[str, Any]]:
    result = cli(capsys, "--config", demo_dir / "oncall.yaml", "tune", "--json")
    assert result.code == 0, result.err
    types: list[dict[str, Any]] = result.json()["types"]
    return types


def test_tune_on_the_demo_cuts_noisy_types_and_keeps_every_acted_on_episode(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    types = _tune(capsys, demo_dir)
    tuned = [
        t
        for t in types
        if t["suggested"] is not None
        and t["suggested"] != t["current"]
        and t["episodes_suggested"] < t["episodes_now"]
        and t["acted_kept"] == t["acted_total"]
    ]
    assert len(tuned) >= MIN_TUNED, [t["reason"] for t in types]
    # The noisy types' stream is much quieter, not trimmed.
    noisy = [t for t in tuned if t["episodes_now"] >= 10]
    assert len(noisy) >= MIN_TUNED, [t["reason"] for t in tuned]
    for t in noisy:
        assert t["episodes_suggested"] <= t["episodes_now"] / 2, t["reason"]
        assert "instead of" in t["reason"], t["reason"]
        # Every alert that would no longer fire was waved off or ignored, none acted on.
        assert t["changes"], t["reason"]
        assert {c["outcome"] for c in t["changes"]} <= {"noise", "ignored"}, t["changes"]
    # Some of the noisy types had real incidents among the noise, and kept them.
    kept = [t for t in noisy if t["acted_total"] >= 1]
    assert kept, [t["reason"] for t in tuned]
    assert any("missing none of the" in t["reason"] for t in kept)
    # Types that fired only for their incidents say they have too little history.
    short = [t for t in types if "too little history" in t["reason"]]
    assert len(short) >= 2, [t["reason"] for t in types]
    assert all(t["suggested"] is None for t in short)


def test_the_demo_record_is_mostly_noise_waved_off_or_ignored(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    types = _tune(capsys, demo_dir)
    noisy = [t for t in types if t["episodes_now"] >= 10]
    assert noisy
    for t in noisy:
        # Most episodes of a noisy type were marked noise or left to resolve alone.
        assert t["noise_total"] >= 0.8 * t["episodes_now"], t
    # Both: the first of a type in a shift waved off with a reason, the repeats ignored.
    outcomes = [c["outcome"] for t in noisy for c in t["changes"]]
    assert outcomes.count("noise") >= 10 and outcomes.count("ignored") >= 10, outcomes
    with Store(demo_dir / "oncall.duckdb").read() as con:
        reasons = {
            str(r[0])
            for r in con.execute(
                "SELECT json_extract_string(detail, '$.reason') FROM alert_events "
                "WHERE action = 'mark_noise'"
            ).fetchall()
        }
    spec = load_scenario("demo")
    said = {note for shift in spec.shifts for note in shift.noise_notes.values()}
    assert {"lookup timeouts at peak, the usual share of empties"} <= reasons & said
    assert all(reason for reason in reasons)


def test_the_demo_has_lead_indicators_and_a_digest(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = demo_dir / "oncall.yaml"
    lead = cli(capsys, "--config", config, "tune", "--lead", "--json")
    assert lead.code == 0, lead.err
    indicators = lead.json()["lead_indicators"]
    assert any(i["preceded"] >= 1 for i in indicators), indicators
    digest = cli(capsys, "--config", config, "alerts", "list", "--digest", "--json")
    assert digest.code == 0, digest.err
    held = digest.json()
    assert held, "the noisy types are held in the digest"


def test_the_cached_lead_indicators_are_the_ones_read_afresh(demo_dir: Path) -> None:
    from tui.core.tuning.lead import LeadCache, read_lead_indicators

    store = Store(demo_dir / "oncall.duckdb")
    fresh = {(i.model, i.kind, i.feature): i for i in read_lead_indicators(store)}
    cache = LeadCache()
    assert cache.get(store) == fresh
    assert cache.get(store) == fresh
    assert any(i.preceded for i in fresh.values())
