"""The ranked page cursor of `examples --alert`: what a page prints is taken back as the
same key, and a damaged cursor is refused whatever key it came from (the base64
decoder alone skips characters outside its alphabet)."""

from __future__ import annotations

import random

import pytest

from tui.cli.examples import cursor_of, key_of
from tui.core.errors import UsageError
from tui.core.slices.examples import RANKED


def _keys() -> list[str]:
    rng = random.Random(5)
    keys = [RANKED, RANKED + "0", RANKED + "0.5|17", RANKED + "-1e-09|3|x y"]
    for _ in range(200):
        score = rng.choice([rng.random(), -rng.random() * 1e6, float(rng.randint(0, 9))])
        keys.append(f"{RANKED}{score!r}|{rng.randint(0, 10**9)}")
    return keys


@pytest.mark.parametrize("key", _keys())
def test_a_cursor_gives_back_its_key_and_a_damaged_one_is_refused(key: str) -> None:
    cursor = cursor_of(key)
    assert cursor is not None and cursor != key
    assert key_of(cursor) == key
    for damaged in (cursor[:-3] + "!!!", cursor + "!", cursor[:-1], cursor + "A"):
        if damaged == cursor:
            continue
        try:
            back = key_of(damaged)
        except UsageError:
            continue
        # A different cursor that still decodes must be one a page would print.
        assert back is not None and cursor_of(back) == damaged


def test_a_time_ordered_key_passes_through() -> None:
    assert key_of("2026-11-20T06:00:00|42") == "2026-11-20T06:00:00|42"
    assert cursor_of("2026-11-20T06:00:00|42") == "2026-11-20T06:00:00|42"
    assert key_of(None) is None
