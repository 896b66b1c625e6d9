"""Benchmark stores at 10M and 100M predictions: generated fast, built once, reused.

The demo simulator holds a whole world in memory and takes minutes at 10M; this
generator writes the demo's fraud model (its features, slices, score model, label rate
and label delay) straight from DuckDB SQL in chunks of CHUNK rows: `range()` numbers the
rows and hashes of the row number stand in for random draws, so a chunk costs the same
wherever it is and the data is the same on every machine. The first and the last chunk
are ingested through oncall's own ingest (predictions, then their labels); the chunks
between are appended as ingest stores them, checked against what ingest stored from the
first (ingest's per-file checks against the stored rows grow with the history, which
put the 100M build past an hour on two cores). Traffic is ROWS_PER_DAY a day whatever
the size: 14 days at 10M, 140 at 100M, so a windowed command reads the same rows at both
sizes and only the history grows.

Stores live in a cache folder (``$ONCALL_BENCH_CACHE`` or ``~/.cache/oncall-bench``), one
per (generator version, rows, config), built under a temporary name and renamed into
place, so an interrupted build never leaves a store that looks whole. A benchmark gets
a copy brought up to today's schema by the ordinary migrations.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import yaml

# Bump whenever the generated data changes: the cache key carries it.
GENERATOR_VERSION = 2
END = datetime(2026, 11, 26)
ROWS_PER_DAY = 10_000_000 // 14
CHUNK = 5_000_000
MODEL = "fraud"

# The demo's fraud model (fixtures/scenarios/demo.yaml), written out so the data does not
# move when the demo is retuned.
INTERCEPT = -1.3
SLICES: dict[str, tuple[list[str], list[float], dict[str, float]]] = {
    "region": (["NA", "EU", "APAC", "LATAM"], [0.4, 0.3, 0.2, 0.1], {"LATAM": 0.4}),
    "customer_tier": (["free", "pro", "enterprise"], [0.6, 0.3, 0.1], {"enterprise": -0.8}),
    "device": (["web", "ios", "android"], [0.5, 0.25, 0.25], {}),
}
CATEGORIES: dict[str, tuple[list[str], list[float], dict[str, float]]] = {
    "country": (
        ["US", "CA", "MX", "GB", "DE", "FR", "IN", "BR"],
        [0.4, 0.08, 0.07, 0.1, 0.1, 0.08, 0.09, 0.08],
        {"MX": 0.6, "BR": 0.5},
    ),
    "merchant_category": (
        [
            "grocery",
            "fuel",
            "travel",
            "electronics",
            "fashion",
            "gaming",
            "pharmacy",
            "restaurants",
            "utilities",
            "jewelry",
            "gift_cards",
            "crypto",
        ],
        [12, 9, 6, 8, 9, 5, 6, 11, 8, 3, 2, 1],
        {"gift_cards": 1.2, "crypto": 1.5, "jewelry": 0.6},
    ),
}
LABEL_MEDIAN_HOURS = 40.0
LABEL_SIGMA = 0.5
NEVER_LABELLED = 0.04


def _uniform(salt: int) -> str:
    """A draw in (0, 1) from the row number `i`: 53 bits of a hash of one number per
    (i, salt) (DuckDB's hash of two arguments combines their hashes too simply: draws
    of two salts would be correlated)."""
    return f"((hash(i * 1000 + {salt}) >> 11)::DOUBLE + 0.5) / 9007199254740992.0"


def _normal(salt: int) -> str:
    """A standard normal draw (Box-Muller over two uniforms)."""
    return f"sqrt(-2 * ln({_uniform(salt)})) * cos(2 * pi() * {_uniform(salt + 1)})"


def _pick(salt: int, values: list[str], weights: list[float]) -> str:
    """A categorical draw with the given weights, as a CASE over one uniform."""
    total = sum(weights)
    cases, cumulative = [], 0.0
    for value, weight in zip(values[:-1], weights[:-1], strict=True):
        cumulative += weight / total
        cases.append(f"WHEN u{salt} < {cumulative!r} THEN '{value}'")
    return f"CASE {' '.join(cases)} ELSE '{values[-1]}' END"


def _effects(column: str, effects: dict[str, float]) -> str:
    return " + ".join(
        [f"CASE WHEN {column} = '{v}' THEN {e!r} ELSE 0 END" for v, e in effects.items()] or ["0"]
    )


def _chunk_sql(start: datetime) -> str:
    """The SELECT of one chunk's rows [$lo, $hi): predictions with their labels."""
    draws = {name: k * 10 for k, name in enumerate([*SLICES, *CATEGORIES], start=1)}
    uniforms = ", ".join(f"{_uniform(salt)} AS u{salt}" for salt in draws.values())
    picks = ", ".join(
        f"{_pick(draws[name], values, weights)} AS {name}"
        for name, (values, weights, _) in {**SLICES, **CATEGORIES}.items()
    )
    effects = " + ".join(
        _effects(name, eff) for name, (_, _, eff) in {**SLICES, **CATEGORIES}.items()
    )
    base = f"""
      WITH drawn AS (
        SELECT i, {uniforms},
          {_normal(200)} AS z_amount, {_uniform(210)} AS u_tenure, {_normal(220)} AS z_vel,
          {_uniform(230)} AS u_null, {_uniform(240)} AS u_truth, {_normal(250)} AS z_delay,
          {_uniform(260)} AS u_never
        FROM range($lo, $hi) AS r(i)
      ), shaped AS (
        SELECT *, {picks},
          TIMESTAMP '{start.isoformat()}' + to_microseconds(
            ((i::HUGEINT * 86400000000) // {ROWS_PER_DAY})::BIGINT) AS ts,
          -ln(u_tenure) - 1 AS z_tenure
        FROM drawn
      ), scored AS (
        SELECT *,
          {INTERCEPT!r} + 1.2 * z_amount - 1.0 * z_tenure + 0.9 * z_vel + {effects} AS logit
        FROM shaped
      )"""  # noqa: S608 (constants of this module only)
    chunk = f"""{base}
      SELECT 'fra-' || lpad(i::VARCHAR, 9, '0') AS prediction_id, ts,
        CASE WHEN 1 / (1 + exp(-logit)) >= 0.5 THEN '1' ELSE '0' END AS prediction,
        round(1 / (1 + exp(-logit)), 6) AS score, 'v12' AS model_version,
        region, customer_tier, device,
        CASE WHEN u_null < 0.001 THEN NULL
             ELSE least(round(exp(4.0 + z_amount), 2), 50000) END AS amount,
        round(-400 * ln(u_tenure)) AS tenure_days,
        least(greatest(round(3.0 + 1.5 * z_vel, 2), 0), 100) AS txn_velocity,
        country, merchant_category,
        CASE WHEN u_truth < 1 / (1 + exp(-logit)) THEN '1' ELSE '0' END AS label,
        ts + to_microseconds(
          floor({LABEL_MEDIAN_HOURS!r} * exp({LABEL_SIGMA!r} * z_delay) * 3600)::BIGINT
          * 1000000) AS labeled_at,
        u_never >= {NEVER_LABELLED!r} AS ever_labelled
      FROM scored"""  # noqa: S608
    return chunk


def config(rows: int) -> dict[str, Any]:
    """The oncall.yaml of a store of `rows` predictions: the demo's fraud model."""
    from tui.sandbox.scenario import load_scenario

    spec = load_scenario("demo")
    spec = spec.model_copy(
        update={"models": {MODEL: spec.models[MODEL]}, "incidents": [], "shifts": []}
    )
    return spec.oncall_config(start_of(rows))


def start_of(rows: int) -> datetime:
    """The first prediction's time: ROWS_PER_DAY a day, ending at END."""
    return END - timedelta(microseconds=(rows * 86_400_000_000) // ROWS_PER_DAY)


def cache_root() -> Path:
    """Where benchmark stores are kept between runs."""
    found = os.environ.get("ONCALL_BENCH_CACHE")
    return Path(found) if found else Path.home() / ".cache" / "oncall-bench"


def cache_key(rows: int) -> str:
    """The cache entry's name: the generator's version, the size, and a digest of the
    config (the demo's fraud model may be retuned)."""
    digest = hashlib.sha256(json.dumps(config(rows), sort_keys=True, default=str).encode())
    return f"v{GENERATOR_VERSION}-{rows}-{digest.hexdigest()[:12]}"


def schema() -> list[list[Any]]:
    """The store's migrations (version, name, digest of the SQL)."""
    from tui.core.store.queries import migrations

    return [[v, n, hashlib.sha256(sql.encode()).hexdigest()[:12]] for v, n, sql in migrations()]


def _usable(entry: Path) -> bool:
    """Whether a cached store can be brought up to date by the ordinary migrations: the
    ones it was built with are the first of today's (a store built by a branch with
    another migration under the same number is built again)."""
    try:
        built = json.loads((entry / "build.json").read_text())["schema"]
    except (OSError, ValueError, KeyError):
        return False
    return bool(built == schema()[: len(built)])


def generate(folder: Path, rows: int, chunk: int = CHUNK) -> list[tuple[Path, Path]]:
    """Write the predictions and labels of `rows` predictions as Parquet, one pair of
    files per chunk; return the pairs in order."""
    chunk_sql = _chunk_sql(start_of(rows))
    pairs = []
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        for k, lo in enumerate(range(0, rows, chunk)):
            params = {"lo": lo, "hi": min(lo + chunk, rows)}
            pair = (folder / f"preds-{k:03d}.parquet", folder / f"labels-{k:03d}.parquet")
            pairs.append(pair)
            if pair[0].is_file() and pair[1].is_file():
                # Left by an interrupted build of the same data (written whole or not
                # at all: each file is renamed into place once written).
                continue
            con.execute(f"CREATE OR REPLACE TEMP TABLE chunk AS {chunk_sql}", params)
            keep = "SELECT * EXCLUDE (label, labeled_at, ever_labelled) FROM chunk"
            known = (
                "SELECT prediction_id, label, labeled_at FROM chunk "
                "WHERE ever_labelled AND labeled_at <= $end ORDER BY labeled_at, prediction_id"
            )
            parquet = "(FORMAT parquet, COMPRESSION zstd)"
            for sql, path in ((keep, pair[0]), (known, pair[1])):
                part = path.with_suffix(".part")
                con.execute(
                    f"COPY ({sql}) TO '{part}' {parquet}", {"end": END} if sql is known else None
                )
                part.rename(path)
    finally:
        con.close()
    return pairs


# The predictions' columns as ingest stores them from the generated files (binary
# model: no numeric prediction or label), and the labels'. `_bulk` checks them against
# what ingest stored from the first chunk before using them.
_PREDICTION_COLUMNS = (
    "prediction_id, ts, prediction, score, model_version, region, customer_tier, device, "
    "amount, tenure_days, txn_velocity, country, merchant_category"
)
_BULK_PREDICTIONS = f"SELECT {_PREDICTION_COLUMNS} FROM read_parquet($file)"  # noqa: S608
_BULK_LABELS = """
SELECT l.prediction_id, l.label, NULL::DOUBLE AS label_value, l.labeled_at, p.ts AS pred_ts
FROM read_parquet($labels) l JOIN read_parquet($preds) p USING (prediction_id)
ORDER BY p.ts
"""


def _bulk(store: Any, first: tuple[Path, Path], pairs: list[tuple[Path, Path]]) -> None:
    """Insert the middle chunks' rows as ingest would store them, without ingest's
    per-file work (validation, merging with the stored rows, the label-time join over
    every stored prediction): that work grows with the history and made the 100M build
    take hours on two cores. Each chunk is appended in time order (labels by their
    prediction's time, as ingest orders them), its days marked dirty for the rollups;
    the rows carry the first chunk's ingest ids.

    The SQL is first checked against what ingest stored from the first chunk: the same
    rows, or the build stops."""
    with store.write() as con:
        ids = con.execute(
            "SELECT (SELECT max(ingest_id) FROM predictions__fraud), "
            "(SELECT max(ingest_id) FROM labels WHERE model = $m)",
            {"m": MODEL},
        ).fetchall()[0]
        con.execute("CREATE TEMP TABLE probe_p AS FROM predictions__fraud LIMIT 0")
        con.execute("CREATE TEMP TABLE probe_l AS FROM labels LIMIT 0")
        _append(con, "probe_p", "probe_l", first, ids)
        for probe, table in (("probe_p", "predictions__fraud"), ("probe_l", "labels")):
            differ = con.execute(
                f"SELECT (SELECT count(*) FROM (FROM {probe} EXCEPT ALL FROM {table})) "  # noqa: S608
                f"+ (SELECT count(*) FROM (FROM {table} EXCEPT ALL FROM {probe}))"
            ).fetchall()[0][0]
            if differ:
                raise AssertionError(
                    f"{table}: {differ} rows of the bulk path differ from ingest's"
                )
            con.execute(f"DROP TABLE {probe}")
    for pair in pairs:
        with store.write() as con:
            _append(con, "predictions__fraud", "labels", pair, ids)
            con.execute("DROP TABLE stage")


def _append(
    con: duckdb.DuckDBPyConnection,
    predictions: str,
    labels: str,
    pair: tuple[Path, Path],
    ids: tuple[int, int],
) -> None:
    """One chunk's rows appended to the two tables, its days marked dirty (the table
    names are this module's own)."""
    from tui.core.ingest.rollups import mark_dirty

    con.execute(
        f"CREATE OR REPLACE TEMP TABLE stage AS {_BULK_PREDICTIONS}", {"file": str(pair[0])}
    )
    con.execute(
        f"INSERT INTO {predictions} BY NAME SELECT $id AS ingest_id, * FROM stage",  # noqa: S608
        {"id": ids[0]},
    )
    mark_dirty(con, MODEL, "predictions")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE stage AS {_BULK_LABELS}",
        {"labels": str(pair[1]), "preds": str(pair[0])},
    )
    con.execute(
        f"INSERT INTO {labels} BY NAME SELECT $m AS model, $now AS ingested_at, "  # noqa: S608
        "$id AS ingest_id, * FROM stage",
        {"m": MODEL, "now": END, "id": ids[1]},
    )
    mark_dirty(con, MODEL, "labels")


def build(folder: Path, rows: int, chunk: int = CHUNK) -> dict[str, float]:
    """Generate `rows` predictions into `folder` and put them into its store, chunk by
    chunk, then build the rollups; return the seconds each stage took.

    The first and the last chunk go through oncall's own ingest (the last one's time is
    an ingest into a store holding the rest); the chunks between are appended in bulk
    as ingest stores them (see `_bulk`)."""
    from tui.core.config.settings import load_config
    from tui.core.ingest.load import ingest_file
    from tui.core.ingest.rollups import refresh
    from tui.core.store.connection import Store

    (folder / "oncall.yaml").write_text(yaml.safe_dump(config(rows)))
    settings = load_config(folder / "oncall.yaml")
    store = Store(settings.store_path)
    data = folder / "data"
    data.mkdir(exist_ok=True)
    started = time.perf_counter()
    pairs = generate(data, rows, chunk)
    generated = time.perf_counter()

    def ingest(pair: tuple[Path, Path]) -> None:
        ingest_file(store, settings, "predictions", MODEL, pair[0], actor="bench", now=END)
        ingest_file(store, settings, "labels", MODEL, pair[1], actor="bench", now=END)

    ingest(pairs[0])
    _bulk(store, pairs[0], pairs[1:-1])
    last = time.perf_counter()
    if len(pairs) > 1:
        ingest(pairs[-1])
    ingested = time.perf_counter()
    refresh(store, settings, MODEL)
    with store.write() as con:
        con.execute("CHECKPOINT")
    rolled = time.perf_counter()
    shutil.rmtree(data)
    return {
        "generate_s": generated - started,
        "ingest_s": ingested - generated,
        "last_chunk_ingest_s": ingested - last,
        "rollups_s": rolled - ingested,
    }


def cached_store(rows: int) -> Path:
    """The folder of a built store of `rows` predictions (its oncall.yaml and store),
    from the cache, building it there first if it is missing or was built with
    migrations that are not today's."""
    root = cache_root()
    final = root / cache_key(rows)
    if (final / "oncall.yaml").is_file():
        if _usable(final):
            return final
        shutil.rmtree(final)
    root.mkdir(parents=True, exist_ok=True)
    building = root / f".building-{final.name}-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    try:
        timings: dict[str, Any] = dict(build(building, rows))
        timings["bytes_per_prediction"] = (building / "oncall.duckdb").stat().st_size / rows
        timings["schema"] = schema()
        (building / "build.json").write_text(json.dumps(timings, indent=1))
        try:
            building.rename(final)
        except OSError:
            # Another run built it meanwhile: theirs is as good.
            if not (final / "oncall.yaml").is_file():
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return final


def working_copy(rows: int, folder: Path) -> Path:
    """A private copy of the cached store of `rows` predictions in `folder`, migrated to
    today's schema (benchmarks write to it: checks store results); returns its config
    path."""
    from tui.core.config.settings import load_config
    from tui.core.store.connection import Store

    source = cached_store(rows)
    for path in source.iterdir():
        if path.is_file():
            shutil.copy2(path, folder / path.name)
    Store(load_config(folder / "oncall.yaml").store_path).ensure()
    return folder / "oncall.yaml"
