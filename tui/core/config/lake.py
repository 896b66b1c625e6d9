"""A model whose predictions live in a data lake: where they are and which engine
aggregates them (`models.M.source`). Such a model is never ingested row by row;
`oncall sync` computes its daily aggregates where the data lives."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from tui.core.config.types import Strict
from tui.core.errors import UsageError

# local, local[4], local[*]; a standalone cluster; Spark Connect.
_MASTER = re.compile(r"^(local(\[(\d+|\*)\])?|spark://\S+|sc://\S+)$")
# A metastore table: name or db.name (or catalog.db.name); anything else is a path.
_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")


class LakeSource(Strict):
    """Where a lake model's predictions and labels are, and the engine that reads them:
    `spark` (a Parquet path, Hive-partitioned or not, or a metastore table) or `duckdb`
    (Parquet files on this machine, for a small lake or a try-out)."""

    engine: Literal["spark", "duckdb"]
    predictions: str = Field(min_length=1)
    labels: str = Field(min_length=1)
    master: str = "local[2]"

    @field_validator("master")
    @classmethod
    def _master(cls, value: str) -> str:
        if not _MASTER.match(value):
            raise ValueError(
                "expected local, local[N], local[*], spark://HOST:PORT or sc://HOST:PORT "
                f"(Spark Connect), got {value!r}"
            )
        return value

    @model_validator(mode="after")
    def _duckdb_reads_paths(self) -> LakeSource:
        if self.engine == "duckdb":
            for key in ("predictions", "labels"):
                if is_table(getattr(self, key)):
                    raise ValueError(
                        f"`{key}: {getattr(self, key)}` looks like a table name; the duckdb "
                        "engine reads Parquet paths (write ./name for a folder of that name)"
                    )
        return self


def is_table(value: str) -> bool:
    """Whether a source names a metastore table rather than a path: a dotted name with
    no slash (``lake.predictions``); ``./preds`` or ``preds/`` is a path."""
    return bool(_TABLE.match(value)) and not value.endswith(".parquet")


def resolve_location(value: str, config_path: Path) -> str:
    """A table name as it is; a URL (s3a://, hdfs://, file://) as it is; a local path
    made absolute against the config file's folder."""
    if is_table(value) or "://" in value:
        return value
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (config_path.parent / path).resolve())


def refuse_lake(name: str, source: LakeSource | None, what: str) -> None:
    """A UsageError when model `name` is a lake model and `what` cannot serve one yet."""
    if source is None:
        return
    raise UsageError(
        f"model {name} is a lake model (models.{name}.source, engine {source.engine}): "
        f"{what} does not serve lake models yet; `oncall sync --model {name}` computes its "
        "daily aggregates, which `oncall slices metrics|worst` and `oncall labels delay` read"
    )
