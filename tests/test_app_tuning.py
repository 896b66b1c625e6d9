"""The Tuning view and the digest, driven with Pilot on drill-tuning's record."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static, TabbedContent

from tests.conftest import DEMO_NOW
from tests.helpers import settle
from tui.app.main import OncallApp
from tui.app.widgets import SeriesPlot
from tui.core.alerts.reading import list_alerts
from tui.core.config.settings import load_config
from tui.core.store.connection import Store
from tui.core.tuning.suggest import tune
from tui.core.tuning.surfacing import read_digest

# Building the world (24 days, its checks and the veterans' decisions) takes minutes on
# a busy machine; its first test carries that setup.
pytestmark = pytest.mark.timeout(1500)


@pytest.fixture
def world(tuning_world: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "world"
    shutil.copytree(tuning_world.parent, folder)
    return folder / tuning_world.name


async def test_the_tuning_view_shows_each_types_curve_and_suggestion(world: Path) -> None:
    settings = load_config(world)
    expected = tune(
        Store(settings.store_path), settings, since=datetime(1970, 1, 1), model="checkout"
    )
    app = OncallApp.open(settings, "alice", DEMO_NOW, poll=False)
    async with app.run_test(size=(180, 50)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        assert app.query_one(TabbedContent).active == "tuning"
        table = app.query_one("#tuning-table", DataTable)
        assert table.row_count == len(expected)
        coupon = next(
            i for i, t in enumerate(expected) if t.kind == "completeness" and t.feature == "coupon"
        )
        table.move_cursor(row=coupon)
        await settle(pilot)
        t = expected[coupon]
        row = [str(c) for c in table.get_row_at(coupon)]
        assert row[:4] == ["completeness/coupon", "max_null", "0.03", f"{t.suggested:g}"]
        assert row[4] == f"{t.episodes_now}→{t.episodes_suggested}"
        reason = app.query_one("#tuning-reason", Static)
        assert "would have fired 4 times instead of 133" in str(reason.render())
        plot = app.query_one("#tuning-plot", SeriesPlot)
        assert [s.values for s in plot.series] == [
            [float(p.episodes) for p in t.curve],
            [float(p.acted_kept) for p in t.curve],
        ]
        changes = app.query_one("#tuning-changes", DataTable)
        assert changes.row_count == len(t.changes) > 100


async def test_the_digest_holds_rarely_acted_types_one_key_away(world: Path) -> None:
    settings = load_config(world)
    policy = settings.config.alerting.surface
    assert policy is not None
    now = datetime.fromisoformat(DEMO_NOW)
    store = Store(settings.store_path)
    active = list_alerts(store, now)
    held = read_digest(store, policy, now).held_ids
    in_digest = [a for a in active if a.id in held]
    assert in_digest  # every active alert of the drill is score drift nobody acts on
    app = OncallApp.open(settings, "alice", DEMO_NOW, poll=False)
    async with app.run_test(size=(180, 50)) as pilot:
        await settle(pilot)
        table = app.query_one("#alert-table", DataTable)
        assert table.row_count == len(active) - len(in_digest)
        await pilot.press("d")
        await settle(pilot)
        assert table.row_count == len(in_digest)
        shown = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert shown == {str(a.id) for a in in_digest}
        await pilot.press("d")
        await settle(pilot)
        assert table.row_count == len(active) - len(in_digest)


async def test_the_alert_detail_says_what_its_type_led(world: Path) -> None:
    settings = load_config(world)
    store = Store(settings.store_path)
    everything = list_alerts(store, datetime.fromisoformat(DEMO_NOW), status="all")
    basket = next(a for a in everything if a.kind == "completeness" and a.feature == "basket")
    app = OncallApp.open(settings, "alice", DEMO_NOW, poll=False)
    async with app.run_test(size=(180, 50)) as pilot:
        await settle(pilot)
        await pilot.press("s")  # all alerts: the basket one resolved long ago
        await settle(pilot)
        table = app.query_one("#alert-table", DataTable)
        row = next(
            i for i in range(table.row_count) if str(table.get_row_at(i)[0]) == str(basket.id)
        )
        table.move_cursor(row=row)
        await settle(pilot)
        facts = str(app.query_one("#alert-facts", Static).render())
        assert "Before realised drops: fired ahead of 1 of 1 checkout SLO breaches" in facts
        assert "0 of its 1 episodes had none after" in facts
