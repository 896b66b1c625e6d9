from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import write_config


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("ONCALL_CONFIG", "ONCALL_NOW", "ONCALL_USER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    yield


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the small two-model config, made the working directory."""
    write_config(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ONCALL_USER", "alice")
    return tmp_path


def pytest_report_header() -> str:
    return f"oncall tests; cpus={os.cpu_count()}"
