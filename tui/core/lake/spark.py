"""The Spark engine: a lake model's aggregates run by Spark (local[N], a standalone
cluster, or Spark Connect), over a Parquet path (Hive-partitioned or not) or a
metastore table. Only the aggregates come back (a few thousand rows a day), as Arrow.

pyspark and SQLGlot are imported here only, when a lake model is synced: no other
command pays for them (they are the optional `spark` dependency group)."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.core.config.lake import is_table
from tui.core.lake.aggregates import (
    LABELS_VIEW,
    OPTIONAL,
    PREDICTIONS_VIEW,
    Aggregate,
    LakeError,
    job_failed,
    missing_columns,
    read_failed,
)
from tui.core.store.queries import query

if TYPE_CHECKING:
    import pyarrow as pa

INSTALL = "uv sync --group spark (or pip install 'pyspark>=4' sqlglot)"
_SPARK_TYPES = {"DOUBLE": "double", "VARCHAR": "string"}


def java_found() -> bool:
    """Whether a Java runtime is on PATH or under JAVA_HOME (local Spark needs one)."""
    home = os.environ.get("JAVA_HOME")
    return shutil.which("java") is not None or bool(home and (Path(home) / "bin/java").exists())


def to_spark_sql(text: str) -> str:
    """A lake query (DuckDB dialect, `$name` parameters) in Spark's dialect (`:name`
    parameters), by SQLGlot; epoch_us, which SQLGlot passes through, becomes Spark's
    unix_micros (both count microseconds since 1970 UTC)."""
    import sqlglot
    from sqlglot import exp

    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and str(node.name).lower() == "epoch_us":
            return exp.Anonymous(this="unix_micros", expressions=node.expressions)
        return node

    tree = sqlglot.parse_one(text, read="duckdb").transform(rename)
    return tree.sql(dialect="spark", comments=False)


def spark_params(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as Spark binds them: a time as UTC text (cast in the query), so the
    driver's local time zone never shifts it."""
    return {
        k: v.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v
        for k, v in params.items()
    }


# pyspark's own loggers that print a failed query's error (Spark's text, as JSON) on
# stderr when the exception is made: oncall says the failure in its words instead.
_PYSPARK_ERROR_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")


def quiet_engine_logs() -> None:
    """Keep pyspark's error loggers off the user's terminal (the JVM's log is set to
    OFF where the session is started)."""
    for name in _PYSPARK_ERROR_LOGGERS:
        logging.getLogger(name).disabled = True


def spark_log() -> Path:
    """Where the JVM Spark runs in writes its own output (start-up warnings, its log):
    a file of this user's in the temporary folder, appended to by every sync."""
    return Path(tempfile.gettempdir()) / f"oncall-spark-{os.getuid()}.log"


def _launch_quietly(log: Path) -> None:
    """Start the JVM behind pyspark with its stdout and stderr in ``log``: it prints
    start-up warnings and its log4j profile before any log level applies, over the
    progress bar. SparkSession.builder then finds the gateway already up and uses it."""
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    if SparkContext._gateway is not None:  # a JVM this process started before
        return
    with log.open("ab") as sink:
        quiet = {"stdout": sink, "stderr": sink}
        gateway = launch_gateway(SparkConf(), popen_kwargs=quiet)  # type: ignore[no-untyped-call]
    SparkContext._ensure_initialized(gateway=gateway)


def start_session(master: str) -> tuple[Any, bool]:
    """The Spark session for `master` and whether we started it (an active session of
    this process, a test's shared one, is used as it is and left running)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise LakeError(f"the spark engine needs pyspark: {INSTALL}") from None
    quiet_engine_logs()
    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    if not master.startswith("sc://") and not java_found():
        raise LakeError(
            "Spark needs Java and none was found (neither `java` on PATH nor JAVA_HOME): "
            "install a JRE, e.g. apt-get install openjdk-17-jre-headless"
        )
    builder: Any = SparkSession.builder.appName("oncall sync")
    builder = builder.remote(master) if master.startswith("sc://") else builder.master(master)
    if not master.startswith("sc://"):
        # No web UI and no stage bars on the terminal: oncall draws its own progress.
        builder = builder.config("spark.ui.enabled", "false")
        builder = builder.config("spark.ui.showConsoleProgress", "false")
    log = spark_log()
    try:
        if not master.startswith("sc://"):
            _launch_quietly(log)
        spark = builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()
    except Exception:  # py4j, Connect and JVM start-up errors: their text not shown
        raise LakeError(
            f"Spark could not start (master {master}): is the master reachable, and is "
            f"Java 17 or later the one on PATH or JAVA_HOME? (Spark's own log: {log})"
        ) from None
    if not master.startswith("sc://"):
        # Spark's own log (a failed task's Java stack) is engine text: not for the
        # terminal; a failure is said by oncall in its own words.
        spark.sparkContext.setLogLevel("OFF")
    return spark, True


class SparkEngine:
    """Runs the aggregates on Spark, the same query texts as DuckDB, transpiled. `labels`
    None: a local labels folder that holds no file yet (Spark cannot read an empty one)."""

    name = "spark"

    def __init__(self, master: str, predictions: str, labels: str | None, where: str) -> None:
        self.where = where
        self.locations = {"predictions": predictions, "labels": labels or "(no files yet)"}
        self.spark, self._own = start_session(master)
        try:
            for kind, location, view in (
                ("predictions", predictions, PREDICTIONS_VIEW),
                ("labels", labels, LABELS_VIEW),
            ):
                self._view(kind, location, view)
        except LakeError:
            self.close()
            raise

    def _view(self, kind: str, location: str | None, view: str) -> None:
        from pyspark.sql import functions as f

        where = f"{self.where}.{kind}"
        try:
            if location is None:  # a labels folder with no file yet: no labels
                frame = self.spark.createDataFrame(
                    [], "prediction_id string, label string, labeled_at timestamp"
                )
            elif is_table(location):
                frame = self.spark.table(location)
            else:
                frame = self.spark.read.option("mergeSchema", "true").parquet(location)
        except Exception:  # AnalysisException & co: Spark's own text is not shown
            raise read_failed(where, kind, str(location)) from None
        missing_columns(kind, list(frame.columns), where)
        for column, kind_type in OPTIONAL[kind].items():
            if column not in frame.columns:
                frame = frame.withColumn(column, f.lit(None).cast(_SPARK_TYPES[kind_type]))
        frame.createOrReplaceTempView(view)

    def run(self, aggregate: Aggregate) -> pa.Table:
        """The rows of one aggregate, collected as Arrow (UTC times, zone dropped, as
        the store keeps them)."""
        import pyarrow as pa

        q = query(aggregate.name)
        text = q.sql(**aggregate.fragments)
        used = q.used_params(text)
        bound = spark_params({k: v for k, v in aggregate.params.items() if k in used})
        try:
            table = self.spark.sql(to_spark_sql(text), args=bound).toArrow()
        except Exception:  # a failed job (Spark's text not shown): nothing is written
            raise job_failed(self.where, self.name, aggregate.name, self.locations) from None
        columns = []
        for field, column in zip(table.schema, table.columns, strict=True):
            if pa.types.is_timestamp(field.type) and field.type.tz is not None:
                column = column.cast(pa.timestamp(field.type.unit))
            columns.append(column)
        return pa.table(columns, names=table.schema.names)

    def close(self) -> None:
        """Stop the session if this engine started it."""
        if self._own:
            self.spark.stop()
