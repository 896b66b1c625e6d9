"""`oncall demo --fresh` deletes only what the demo made, and a half-built demo says so."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import tui.sandbox.demo as demo_module
from tests.helpers import cli
from tui.sandbox.demo import MARKER, build_demo

NOW = "2026-11-26T04:00"
BUILDING = ".oncall-demo.building"
SCENARIO = "drill-support"


def demo(capsys: pytest.CaptureFixture[str], folder: Path, *extra: str) -> Any:
    # The smallest shipped scenario (one model, eight days) keeps each build quick.
    return cli(
        capsys,
        "--now",
        NOW,
        "demo",
        "--dir",
        folder,
        "--no-ui",
        "--scale",
        "0.01",
        "--scenario",
        SCENARIO,
        *extra,
    )


def test_fresh_refuses_a_folder_the_demo_did_not_make(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "precious.txt").write_text("keep me")
    (folder / "oncall.yaml").write_text("models: {}\n")
    for extra in (("--fresh",), ()):
        result = demo(capsys, folder, *extra)
        assert result.code == 2, result.err
        assert (
            f"{folder} is not a demo folder oncall made (no {MARKER}); choose another --dir"
            in result.err.replace("\n", "")
        )
        assert "--fresh" not in result.err  # never suggest deleting it
        assert result.out == ""
        assert (folder / "precious.txt").read_text() == "keep me"
    # A file is not a folder the demo made either.
    lone = tmp_path / "notes.txt"
    lone.write_text("mine")
    result = demo(capsys, lone, "--fresh")
    assert result.code == 2
    assert "is not a demo folder oncall made" in result.err
    assert lone.read_text() == "mine"


@pytest.mark.slow
def test_fresh_rebuilds_an_empty_folder_and_a_demo_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    built = demo(capsys, folder, "--fresh")
    assert built.code == 0, built.err
    assert (folder / MARKER).is_file()
    assert not (folder / BUILDING).exists()
    (folder / "scratch.txt").write_text("made inside the demo")
    rebuilt = demo(capsys, folder, "--fresh")
    assert rebuilt.code == 0, rebuilt.err
    assert "built the demo" in rebuilt.err
    assert not (folder / "scratch.txt").exists()
    assert (folder / MARKER).is_file()


@pytest.mark.slow
def test_a_half_built_demo_says_so_and_fresh_rebuilds_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "demo"
    real = demo_module.build_world_dir

    def killed(*args: Any, **kwargs: Any) -> Path:
        real(*args, **kwargs)  # the config and store are there...
        raise KeyboardInterrupt  # ...but the build never finished

    monkeypatch.setattr(demo_module, "build_world_dir", killed)
    with pytest.raises(KeyboardInterrupt):
        build_demo(folder, scenario=SCENARIO, now=datetime.fromisoformat(NOW), scale=0.01)
    monkeypatch.setattr(demo_module, "build_world_dir", real)
    assert (folder / BUILDING).is_file()
    assert (folder / "oncall.yaml").is_file()
    message = (
        f"the demo in {folder} was not finished building; run `oncall demo --fresh --dir {folder}`"
    )
    config = folder / "oncall.yaml"
    for args in (
        ("--config", config, "alerts", "list", "--json"),
        ("--config", config, "--now", NOW, "check"),
        ("--now", NOW, "demo", "--dir", folder, "--no-ui", "--scenario", SCENARIO),
    ):
        result = cli(capsys, *args)
        assert result.code == 2, (args, result.err)
        assert message in result.err.replace("\n", ""), result.err
        assert result.out == ""
        assert "no active alerts" not in result.err
    monkeypatch.chdir(folder)  # `oncall` in the folder finds ./oncall.yaml
    result = cli(capsys, "alerts", "list")
    assert result.code == 2
    assert "was not finished building" in result.err
    rebuilt = demo(capsys, folder, "--fresh")
    assert rebuilt.code == 0, rebuilt.err
    assert not (folder / BUILDING).exists()
    assert (folder / MARKER).is_file()
    listed = cli(capsys, "--config", config, "--now", NOW, "alerts", "list", "--json")
    assert listed.code == 0, listed.err


@pytest.mark.slow
def test_the_demo_config_trusts_as_and_puts_the_builder_on_the_team(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import getpass

    from tui.core.config.settings import load_config

    monkeypatch.setattr(getpass, "getuser", lambda: "visitor")
    folder = tmp_path / "demo"
    assert demo(capsys, folder).code == 0
    settings = load_config(folder / "oncall.yaml")
    assert settings.config.trust_as
    assert settings.role_of("visitor") == "engineer"
    assert settings.role_of("alice") == "veteran"
