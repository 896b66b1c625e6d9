"""Config validation: every error names the file, key path and line, and what was expected."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.helpers import cli, write_config
from tui.core.config.settings import load_config
from tui.core.config.starter import write_starter
from tui.core.config.times import parse_duration
from tui.core.errors import ConfigError, UsageError

DESIGN_EXAMPLE = """\
store: oncall.duckdb            # relative to this file
timezone: UTC
models:
  fraud:
    task: binary                # binary | multiclass | regression
    positive: "1"               # the positive class (binary)
    threshold: 0.5              # score >= threshold predicts positive
    slices: [region, customer_tier, device]
    features:
      amount:      {type: numeric, min: 0, max: 50000, max_null: 0.01}
      country:     {type: categorical, allowed: [US, CA, MX], max_null: 0}
      tenure_days: {type: numeric, min: 0}
    baseline: {start: 2026-10-01, end: 2026-10-07}   # what drift compares to
    offline: {f1: 0.86}         # validation metrics at training time
    labels: {expected_delay: 3d}
    slos:
      - {metric: f1, min: 0.80, window: 1d, min_labeled: 200}
      - {metric: recall, min: 0.70, window: 1d, by: region}
checks:
  window: 1h                    # default evaluation window
  volume:    {min_ratio: 0.5, max_ratio: 2.0}
  freshness: {max_lag: 2h}
  drift:     {metric: psi, warn: 0.1, crit: 0.25}
team:
  - {name: alice, role: veteran}
  - {name: bob, role: trainee}
"""


def _error(tmp_path: Path, text: str) -> str:
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return str(info.value)


def test_design_example_loads(tmp_path: Path) -> None:
    settings = load_config(write_config(tmp_path, DESIGN_EXAMPLE))
    fraud = settings.model("fraud")
    assert fraud.task == "binary"
    assert fraud.positive == "1"
    assert fraud.slices == ["region", "customer_tier", "device"]
    assert fraud.features["amount"].max == 50000
    assert fraud.labels.expected_delay == timedelta(days=3)
    assert fraud.slos[1].by == "region"
    assert settings.config.checks.window == timedelta(hours=1)
    assert settings.store_path == (tmp_path / "oncall.duckdb").resolve()
    assert settings.role_of("bob") == "trainee"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "max: 50000,",
            "max: 50000, maxx: 3,",
            ":10: models.fraud.features.amount.maxx: unknown key",
        ),
        ("threshold: 0.5", "threshold: 1.5", ":7: models.fraud.threshold: Input should be less"),
        (
            "threshold: 0.5",
            "threshold: -0.1",
            ":7: models.fraud.threshold: Input should be greater",
        ),
        (
            "expected_delay: 3d",
            "expected_delay: 3 days",
            ":15: models.fraud.labels.expected_delay: expected a duration such as 30m, 2h",
        ),
        ("window: 1h", "window: 90", ":20: checks.window: expected a duration"),
        ("start: 2026-10-01", "start: 2026-13-01", ":13: models.fraud.baseline.start:"),
        (
            "end: 2026-10-07",
            "end: 2026-09-07",
            ":13: models.fraud.baseline: start 2026-10-01 is after end 2026-09-07",
        ),
        (
            "end: 2026-10-07}",
            "end: 2026-10-07, file: base.parquet}",
            ":13: models.fraud.baseline: give exactly one kind of baseline",
        ),
        (
            "[region, customer_tier, device]",
            "[region, customer_tier, region]",
            ":8: models.fraud.slices: slice 'region' is declared twice",
        ),
        ("task: binary", "task: ranking", ":5: models.fraud.task: Input should be"),
        (
            "max: 50000,",
            "max: lots,",
            ":10: models.fraud.features.amount.max: Input should be a valid number",
        ),
        ("metric: f1, min: 0.80", "metric: mae, min: 0.80", "SLO metric 'mae' is not one of"),
        ("by: region", "by: planet", "SLO `by: planet` is not one of the slices"),
        ("role: trainee", "role: intern", ":26: team.1.role: Input should be"),
        ("store: oncall.duckdb", "stor: oncall.duckdb", ":1: stor: unknown key"),
    ],
)
def test_config_errors_name_key_path_and_line(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in DESIGN_EXAMPLE
    message = _error(tmp_path, DESIGN_EXAMPLE.replace(old, new, 1))
    assert str(tmp_path / "oncall.yaml") in message
    assert expected in message


def test_duplicate_keys_are_errors(tmp_path: Path) -> None:
    text = DESIGN_EXAMPLE.replace(
        "      tenure_days: {type: numeric, min: 0}\n",
        "      tenure_days: {type: numeric, min: 0}\n      amount: {type: numeric}\n",
    )
    message = _error(tmp_path, text)
    assert "oncall.yaml:13: duplicate key 'amount' (first defined on line 10)" in message


def test_yaml_11_traps_do_not_apply(tmp_path: Path) -> None:
    text = DESIGN_EXAMPLE.replace("allowed: [US, CA, MX]", "allowed: [NO, SE, ON, 1:30]")
    settings = load_config(write_config(tmp_path, text))
    assert settings.model("fraud").features["country"].allowed == ["NO", "SE", "ON", "1:30"]


def test_a_column_may_be_both_a_slice_and_a_feature(tmp_path: Path) -> None:
    # Once refused; a model input that is also a way to cut the traffic is the norm.
    text = DESIGN_EXAMPLE.replace("[region, customer_tier, device]", "[region, amount, country]")
    fraud = load_config(write_config(tmp_path, text)).model("fraud")
    assert fraud.slices == ["region", "amount", "country"]
    assert fraud.features["amount"].type == "numeric"
    assert fraud.features["country"].type == "categorical"
    # The feature's type is the column's: another model slicing on `amount` (text)
    # disagrees with it.
    other = text.replace(
        "checks:\n", "  other:\n    task: regression\n    slices: [amount]\nchecks:\n"
    )
    message = _error(tmp_path, other)
    assert "column 'amount' is categorical in model 'other' but numeric in model 'fraud'" in message


def test_column_types_must_agree_across_models(tmp_path: Path) -> None:
    text = DESIGN_EXAMPLE.replace(
        "checks:\n",
        "  other:\n    task: regression\n    slices: [amount]\nchecks:\n",
    )
    message = _error(tmp_path, text)
    assert "column 'amount' is categorical in model 'other' but numeric in model 'fraud'" in message


def test_reserved_and_odd_column_names(tmp_path: Path) -> None:
    assert "reserved by the data contract" in _error(
        tmp_path, DESIGN_EXAMPLE.replace("[region, customer_tier, device]", "[region, score]")
    )
    assert "must start with a letter" in _error(
        tmp_path, DESIGN_EXAMPLE.replace("tenure_days:", '"tenure days; drop":')
    )


def test_binary_needs_positive_class(tmp_path: Path) -> None:
    message = _error(
        tmp_path,
        DESIGN_EXAMPLE.replace(
            '    positive: "1"               # the positive class (binary)\n', ""
        ),
    )
    assert "needs `positive`" in message


def test_missing_config_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no config file; run `oncall init`"):
        load_config(tmp_path / "nope.yaml")
    message = _error(tmp_path, "models: [unclosed\n")
    assert "oncall.yaml:2: invalid YAML" in message


def test_config_error_exits_2_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, DESIGN_EXAMPLE.replace("threshold: 0.5", "threshold: 7"))
    result = cli(capsys, "--config", path, "ingest", "predictions", "x.csv", "--model", "fraud")
    assert result.code == 2
    assert "models.fraud.threshold" in result.err
    assert result.out == ""


def test_config_found_by_env_then_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(tmp_path, DESIGN_EXAMPLE)
    monkeypatch.chdir(tmp_path)
    assert load_config().path == path.resolve()
    other = tmp_path / "sub"
    other.mkdir()
    monkeypatch.chdir(other)
    monkeypatch.setenv("ONCALL_CONFIG", str(path))
    assert load_config().path == path.resolve()


@pytest.mark.parametrize("text", ["3d", "2h", "30m", "45s", "1w"])
def test_valid_durations(text: str) -> None:
    assert parse_duration(text).total_seconds() > 0


@pytest.mark.parametrize("text", ["3", "d3", "3x", "-2h", "0h", "1.5h", ""])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_init_writes_a_config_that_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = cli(capsys, "init", tmp_path / "new")
    assert result.code == 0, result.err
    settings = load_config(tmp_path / "new" / "oncall.yaml")
    assert "fraud" in settings.config.models
    assert "# oncall.yaml" in (tmp_path / "new" / "oncall.yaml").read_text()
    again = cli(capsys, "init", tmp_path / "new")
    assert again.code == 2
    assert "exists; pass --force" in again.err
    forced = cli(capsys, "init", tmp_path / "new", "--force", "--json")
    assert forced.code == 0 and forced.json() == {"config": str(tmp_path / "new" / "oncall.yaml")}


def test_config_errors_name_settings_not_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ConfigError) as missing:
        load_config(tmp_path / "nope.yaml")
    assert missing.value.field == "config"
    assert "--" not in missing.value.message
    write_starter(tmp_path)
    with pytest.raises(UsageError) as exists:
        write_starter(tmp_path)
    assert exists.value.field == "force"
    assert "--" not in exists.value.message
    # The command line adds its handle for the setting the core named.
    result = cli(capsys, "--config", tmp_path / "nope.yaml", "check")
    assert result.code == 2
    assert "no config file; run `oncall init` to write one (--config)" in result.err


PER_MODEL = """\
models:
  small:
    task: binary
    positive: "1"
    features: {amount: {type: numeric}}
    checks:
      window: 1d
      drift: {min_support: 50, window: 7d}
  big:
    task: binary
    positive: "1"
checks:
  window: 1h
  drift: {metric: js, warn: 0.05, crit: 0.2, min_support: 5000}
"""


def test_a_model_checks_section_lays_its_keys_over_the_global_one(tmp_path: Path) -> None:
    settings = load_config(write_config(tmp_path, PER_MODEL))
    small, big = settings.model("small").checks, settings.model("big").checks
    # The small model's own keys win; the rest come from the global section...
    assert (small.window, small.drift.window) == (timedelta(days=1), timedelta(days=7))
    assert (small.drift.min_support, small.drift.metric, small.drift.warn) == (50, "js", 0.05)
    # ... and a model without a section gets the global one as it is.
    assert big == settings.config.checks
    assert (big.window, big.drift.min_support) == (timedelta(hours=1), 5000)


def test_a_model_checks_error_names_its_own_key_path_and_line(tmp_path: Path) -> None:
    text = PER_MODEL.replace("min_support: 50,", "min_support: 0,")
    message = _error(tmp_path, text)
    assert "oncall.yaml:8: models.small.checks.drift.min_support:" in message
    assert message.count("\n") == 0, message
    typo = PER_MODEL.replace("window: 1d", "windw: 1d")
    assert "models.small.checks.windw: unknown key" in _error(tmp_path, typo)


def test_a_bad_global_checks_section_is_said_once_not_per_model(tmp_path: Path) -> None:
    message = _error(tmp_path, PER_MODEL.replace("min_support: 5000", "min_support: -1"))
    assert message.count("min_support") == 1, message
    assert "checks.drift.min_support" in message


def test_each_model_is_checked_on_its_own_windows(tmp_path: Path) -> None:
    from tui.core.checks.kinds import REGISTRY

    settings = load_config(write_config(tmp_path, PER_MODEL))
    small, big = settings.model("small"), settings.model("big")
    completeness, drift = REGISTRY["completeness"], REGISTRY["drift"]
    assert completeness.step(settings, small) == timedelta(days=1)
    assert completeness.step(settings, big) == timedelta(hours=1)
    # Drift is judged every check window (each over the trailing drift window, 7d for
    # the small model), no longer once per drift window.
    assert drift.step(settings, small) == timedelta(days=1)
    assert drift.step(settings, big) == timedelta(hours=1)


def test_the_readme_model_example_loads(tmp_path: Path) -> None:
    """The README's config example (a slice that is also a feature, a reference file,
    a model's own checks) is a config that loads and means what it says."""
    import re

    from tests.helpers import ROOT

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "models:" in b)
    support = load_config(write_config(tmp_path, block)).model("support")
    assert "country" in support.slices and "country" in support.features
    assert support.baseline is not None and support.baseline.kind == "file"
    assert (support.checks.window, support.checks.drift.min_support) == (timedelta(days=1), 100)
    assert support.checks.drift.metric == "psi"  # from the global section
