"""The one schema, shared by DuckDB and PostgreSQL (SQLAlchemy Core).

Every table carries ``organization_id`` and every primary key starts with it: tenancy is part of
the key, so no query can reach another organization's rows by id alone. Timestamps are UTC
``timestamptz``. Tables below the line "derived" are rebuilt from the source tables by the
store and never written by clients. Migrations in ``migrations/versions`` create exactly this
schema; ``tests/store/test_migrations.py`` compares the two.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

metadata = sa.MetaData()

TS = sa.DateTime(timezone=True)
ORG = "organization_id"


def _org() -> sa.Column:
    return sa.Column(ORG, sa.String(64), primary_key=True)


organizations = sa.Table(
    "organizations",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", TS, nullable=False),
)

# A counter per organization, bumped by every write: cached results carry the version they
# were computed at, so any ingest invalidates them in every worker process at once.
data_versions = sa.Table(
    "data_versions",
    metadata,
    sa.Column(ORG, sa.String(64), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)

sites = sa.Table(
    "sites",
    metadata,
    _org(),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("latitude", sa.Double),
    sa.Column("longitude", sa.Double),
    sa.Column("updated_at", TS, nullable=False),
)

lines = sa.Table(
    "lines",
    metadata,
    _org(),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

machines = sa.Table(
    "machines",
    metadata,
    _org(),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("line_id", sa.String(64)),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("asset_id", sa.String(64)),
    sa.Column("ideal_cycle_time_s", sa.Double),
    sa.Column("updated_at", TS, nullable=False),
)

shifts = sa.Table(
    "shifts",
    metadata,
    _org(),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("start_time", sa.String(5), nullable=False),  # local HH:MM
    sa.Column("end_time", sa.String(5), nullable=False),  # local HH:MM, <= start: next day
    sa.Column("weekdays", sa.String(16), nullable=False),  # ISO weekday digits, e.g. "12345"
    sa.Column("breaks", sa.String(500), nullable=False),  # "HH:MM-HH:MM;HH:MM-HH:MM" or ""
    sa.Column("updated_at", TS, nullable=False),
)

work_orders = sa.Table(
    "work_orders",
    metadata,
    _org(),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("machine_id", sa.String(64), nullable=False),
    sa.Column("start_time", TS, nullable=False),
    sa.Column("end_time", TS),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("qty", sa.Double),
    sa.Column("ok_qty", sa.Double),
    sa.Column("scrap_qty", sa.Double),
    sa.Column("product_id", sa.String(64)),
    sa.Column("operator_id", sa.String(64)),
    sa.Column("updated_at", TS, nullable=False),
)

# A log is keyed by its work order and instant: two status changes of one work order at the
# same instant cannot both hold, so re-sending one with another status corrects it.
work_order_logs = sa.Table(
    "work_order_logs",
    metadata,
    _org(),
    sa.Column("work_order_id", sa.String(64), primary_key=True),
    sa.Column("changed_at", TS, primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("ok_qty", sa.Double),
    sa.Column("scrap_qty", sa.Double),
    sa.Column("fpy", sa.Double),
    sa.Column("updated_at", TS, nullable=False),
)

# ---- derived -------------------------------------------------------------------------------

#: The end of a segment that is still open ("until as_of"). A real instant, not NULL, so that
#: "segments reaching past T" is one range predicate that zone maps and indexes can serve.
OPEN_END = datetime(9999, 12, 31, tzinfo=UTC)

# The status timeline of each work order (DESIGN.md §5.1): status holds over [seg_start,
# seg_end); seg_end OPEN_END means "until as_of". Terminal statuses end a timeline and have no
# segment. A work order that ran also gets one "Scheduled" row over [start_time, end_time)
# with ``ran_from``, its first Start: scheduled hours count such spans (DESIGN.md §5.3). Site
# and machine are copied here so rollups never join back to work_orders. Derived tables have
# no primary key: they are only ever deleted and re-inserted per work order, and without an
# index DuckDB can rewrite them in time order after bulk loads (timelines.compact).
wo_segments = sa.Table(
    "wo_segments",
    metadata,
    sa.Column(ORG, sa.String(64), nullable=False),
    sa.Column("work_order_id", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("seg_start", TS, nullable=False),
    sa.Column("seg_end", TS, nullable=False),
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("machine_id", sa.String(64), nullable=False),
    sa.Column("wo_start_time", TS, nullable=False),
    sa.Column("wo_end_time", TS),
    sa.Column("ran_from", TS),
    sa.Column("logs_from", TS),  # a log-less reading, valid for as_of up to the first log
)

# Point events of each work order: production increments (from cumulative counts in logs, or
# the work order's own counts on its start day when it logged none) and completions.
wo_marks = sa.Table(
    "wo_marks",
    metadata,
    sa.Column(ORG, sa.String(64), nullable=False),
    sa.Column("work_order_id", sa.String(64), nullable=False),
    sa.Column("marked_at", TS, nullable=False),
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("machine_id", sa.String(64), nullable=False),
    sa.Column("good_units", sa.Double, nullable=False),
    sa.Column("scrap_units", sa.Double, nullable=False),
    sa.Column("completed", sa.Integer, nullable=False),
    sa.Column("fpy_weighted", sa.Double, nullable=False),  # Σ fpy × units of logs with fpy
    sa.Column("fpy_units", sa.Double, nullable=False),  # Σ units of logs with fpy
    sa.Column("logs_from", TS),  # a log-less reading, valid for as_of up to the first count
)

# One row per machine and local day: the daily rollup (DESIGN.md §5.2–5.3), in seconds and
# units, never rounded, so any range and any set of machines pools exactly.
machine_days = sa.Table(
    "machine_days",
    metadata,
    _org(),
    sa.Column("machine_id", sa.String(64), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # running | hold | scheduled | idle
    sa.Column("day_s", sa.Double, nullable=False),
    sa.Column("running_s", sa.Double, nullable=False),
    sa.Column("hold_s", sa.Double, nullable=False),
    sa.Column("assigned_s", sa.Double, nullable=False),
    sa.Column("available_s", sa.Double, nullable=False),
    sa.Column("scheduled_s", sa.Double, nullable=False),
    sa.Column("active_s", sa.Double, nullable=False),
    sa.Column("downtime_s", sa.Double, nullable=False),  # max(0, available − active)
    sa.Column("planned_downtime_s", sa.Double, nullable=False),  # ≤ downtime_s
    sa.Column("good_units", sa.Double, nullable=False),
    sa.Column("scrap_units", sa.Double, nullable=False),
    sa.Column("completed", sa.Integer, nullable=False),
    sa.Column("fpy_weighted", sa.Double, nullable=False),
    sa.Column("fpy_units", sa.Double, nullable=False),
    sa.Column("has_work", sa.Integer, nullable=False),  # 1: counts towards machine_count
    sa.Column("computed_at", TS, nullable=False),
)

# Which site-days have complete rows in machine_days. Ingest deletes the marks of the days it
# touches; readers compute whatever closed day has no mark.
rollup_days = sa.Table(
    "rollup_days",
    metadata,
    _org(),
    sa.Column("site_id", sa.String(64), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("computed_at", TS, nullable=False),
    # the as_of from which the stored numbers hold (later knowledge no longer changes them)
    sa.Column("stable_from", TS, nullable=False),
)

# Secondary indexes help PostgreSQL; DuckDB prunes by zone maps and its ART indexes would slow
# bulk ingest, so migrations create these on PostgreSQL only.
POSTGRES_INDEXES = (
    ("ix_work_orders_machine_start", "work_orders", (ORG, "machine_id", "start_time")),
    ("ix_work_orders_site_status", "work_orders", (ORG, "site_id", "status")),
    ("ix_work_order_logs_status_changed", "work_order_logs", (ORG, "status", "changed_at")),
    ("ix_wo_segments_order", "wo_segments", (ORG, "work_order_id")),
    ("ix_wo_segments_site_end", "wo_segments", (ORG, "site_id", "seg_end")),
    ("ix_wo_marks_order", "wo_marks", (ORG, "work_order_id")),
    ("ix_wo_marks_site_at", "wo_marks", (ORG, "site_id", "marked_at")),
    ("ix_machine_days_site_day", "machine_days", (ORG, "site_id", "day")),
)
