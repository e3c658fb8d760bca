"""Settings, read from ``OPSLENS_*`` environment variables and an optional ``.env`` file.

Nothing reads settings at import time: the CLI builds one ``Settings`` and passes it down.
"""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "duckdb:///data/opslens.duckdb"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPSLENS_", env_file=".env", extra="ignore")

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="duckdb:///path/to/file.duckdb or postgresql://user@host:port/db",
    )
    default_organization: str = Field(
        "default", description="Organization used when a request names none."
    )
    host: str = "127.0.0.1"
    port: int = 8000
    ingest_batch_size: int = Field(20_000, ge=1, description="Records per transaction.")
    cache_enabled: bool = True
    duckdb_memory_limit: str = Field(
        "768MB", pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$",
        description="DuckDB's buffer memory; larger work spills to disk. The server stays "
                    "under 1 GB with the default.",
    )

    oms_tick_seconds: float = Field(
        30, gt=0, le=3600, description="How often correlation lets time pass without events "
        "(restorations settle, storm mode ends).")

    @field_validator("database_url")
    @classmethod
    def _known_store(cls, value: str) -> str:
        if not value.startswith(("duckdb://", "postgresql://", "postgresql+psycopg://")):
            raise ValueError(
                "OPSLENS_DATABASE_URL must start with duckdb:/// or postgresql://, "
                f"got {value!r}"
            )
        return value
