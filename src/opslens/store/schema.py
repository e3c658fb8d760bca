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

# ---- OEE (seed 004, DESIGN.md §4 and §5.5) ----------------------------------------------------

# Reason codes form a tree (parent_code); every organization starts with seed 004's standard
# tree (domain.downtime.STANDARD_REASONS). ``loss`` maps a reason to planned or a big loss.
reason_codes = sa.Table(
    "reason_codes",
    metadata,
    _org(),
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("category", sa.String(64), nullable=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("planned", sa.Boolean, nullable=False),
    sa.Column("loss", sa.String(32), nullable=False),
    sa.Column("parent_code", sa.String(64)),
    sa.Column("color", sa.String(16)),
    sa.Column("sort_order", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

# A stop of a machine over [start_time, end_time); end_time NULL while it goes on. ``planned``
# NULL follows the reason's current flag. site_id is copied from the machine for scoping.
downtime_events = sa.Table(
    "downtime_events",
    metadata,
    _org(),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("machine_id", sa.String(64), nullable=False),
    sa.Column("start_time", TS, nullable=False),
    sa.Column("end_time", TS),
    sa.Column("reason_code", sa.String(64), nullable=False),
    sa.Column("planned", sa.Boolean),
    sa.Column("work_order_id", sa.String(64)),
    sa.Column("notes", sa.String(2000)),
    sa.Column("logged_by", sa.String(200)),
    sa.Column("updated_at", TS, nullable=False),
)

# Output of a machine: increments since its previous count, at ``counted_at``; with
# ``period_start`` the units were made over [period_start, counted_at) and are pro-rated.
production_counts = sa.Table(
    "production_counts",
    metadata,
    _org(),
    sa.Column("machine_id", sa.String(64), primary_key=True),
    sa.Column("counted_at", TS, primary_key=True),
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("period_start", TS),
    sa.Column("total", sa.Double, nullable=False),
    sa.Column("good", sa.Double, nullable=False),
    sa.Column("scrap", sa.Double, nullable=False),
    sa.Column("rework", sa.Double, nullable=False),
    sa.Column("startup_rejects", sa.Double, nullable=False),
    sa.Column("work_order_id", sa.String(64)),
    sa.Column("product_id", sa.String(64)),
    sa.Column("updated_at", TS, nullable=False),
)

# Ideal cycle time of a product, on one machine or (machine_id "*") on any machine. A count's
# ideal cycle time is the most specific one: product on machine, product, the machine's own.
ideal_cycle_times = sa.Table(
    "ideal_cycle_times",
    metadata,
    _org(),
    sa.Column("product_id", sa.String(64), primary_key=True),
    sa.Column("machine_id", sa.String(64), primary_key=True),
    sa.Column("ideal_cycle_time_s", sa.Double, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

energy_readings = sa.Table(
    "energy_readings",
    metadata,
    _org(),
    sa.Column("machine_id", sa.String(64), primary_key=True),
    sa.Column("reading_time", TS, primary_key=True),
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("kwh_consumed", sa.Double),  # an increment since the previous reading
    sa.Column("meter_reading", sa.Double),  # or a cumulative meter value
    sa.Column("work_order_id", sa.String(64)),
    sa.Column("batch_id", sa.String(64)),
    sa.Column("product_id", sa.String(64)),
    sa.Column("updated_at", TS, nullable=False),
)

# Targets and baselines hold from effective_date to expiry_date (inclusive; NULL: open).
# scope is organization, site, line or machine; reference_id is "" for the organization.
oee_targets = sa.Table(
    "oee_targets",
    metadata,
    _org(),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("scope", sa.String(16), nullable=False),
    sa.Column("reference_id", sa.String(64), nullable=False),
    sa.Column("oee_target", sa.Double),
    sa.Column("availability_target", sa.Double),
    sa.Column("performance_target", sa.Double),
    sa.Column("quality_target", sa.Double),
    sa.Column("effective_date", sa.Date, nullable=False),
    sa.Column("expiry_date", sa.Date),
    sa.Column("updated_at", TS, nullable=False),
)

energy_baselines = sa.Table(
    "energy_baselines",
    metadata,
    _org(),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("machine_id", sa.String(64)),
    sa.Column("product_id", sa.String(64)),
    sa.Column("kwh_per_unit", sa.Double),
    sa.Column("kwh_per_hour", sa.Double),
    sa.Column("effective_date", sa.Date, nullable=False),
    sa.Column("notes", sa.String(2000)),
    sa.Column("updated_at", TS, nullable=False),
)

# A tariff: a flat rate and optional time-of-day periods (JSON list of {name, start, end,
# rate, weekdays}) in the site's local time, from effective_date; site_id "" for every site.
energy_tariffs = sa.Table(
    "energy_tariffs",
    metadata,
    _org(),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("effective_date", sa.Date, nullable=False),
    sa.Column("flat_rate", sa.Double, nullable=False),
    sa.Column("periods", sa.String(4000), nullable=False),
    sa.Column("currency", sa.String(8), nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

# A stored OEE result (seed 004 oee_snapshots): the window, what it covered, the time model.
oee_snapshots = sa.Table(
    "oee_snapshots",
    metadata,
    _org(),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("scope", sa.String(16), nullable=False),
    sa.Column("reference_id", sa.String(64), nullable=False),
    sa.Column("window_start", TS, nullable=False),
    sa.Column("window_end", TS, nullable=False),
    sa.Column("snapshot_time", TS, nullable=False),
    sa.Column("availability", sa.Double),
    sa.Column("performance", sa.Double),
    sa.Column("quality", sa.Double),
    sa.Column("oee", sa.Double),
    sa.Column("planned_production_s", sa.Double, nullable=False),
    sa.Column("run_s", sa.Double, nullable=False),
    sa.Column("ideal_output_s", sa.Double, nullable=False),
    sa.Column("total_count", sa.Double, nullable=False),
    sa.Column("good_count", sa.Double, nullable=False),
    sa.Column("detail", sa.String(20000), nullable=False),  # the whole result as JSON
    sa.Column("created_by", sa.String(200)),
)

# A machine's speed as logged (seed 004 oee_performance_logs): the actual cycle time of
# ``units_produced`` units made over [period_start, logged_at) (a point at logged_at without
# period_start). ``target_cycle_time_s`` NULL means the product's or machine's ideal cycle time
# at read time. Efficiency and speed loss are derived on read, never stored.
performance_logs = sa.Table(
    "performance_logs",
    metadata,
    _org(),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("machine_id", sa.String(64), nullable=False),
    sa.Column("work_order_id", sa.String(64)),
    sa.Column("operation_id", sa.String(64)),
    sa.Column("logged_at", TS, nullable=False),
    sa.Column("period_start", TS),
    sa.Column("actual_cycle_time_s", sa.Double, nullable=False),
    sa.Column("target_cycle_time_s", sa.Double),
    sa.Column("units_produced", sa.Double, nullable=False),
    sa.Column("product_id", sa.String(64)),
    sa.Column("notes", sa.String(2000)),
    sa.Column("logged_by", sa.String(200)),
    sa.Column("updated_at", TS, nullable=False),
)

# A quality event of a machine (seed 004 oee_quality_events): scrap, rework, defect,
# inspection_pass, inspection_fail, hold or release of ``quantity`` units at occurred_at.
quality_events = sa.Table(
    "quality_events",
    metadata,
    _org(),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("machine_id", sa.String(64), nullable=False),
    sa.Column("work_order_id", sa.String(64)),
    sa.Column("operation_id", sa.String(64)),
    sa.Column("occurred_at", TS, nullable=False),
    sa.Column("event_type", sa.String(32), nullable=False),
    sa.Column("quantity", sa.Double, nullable=False),
    sa.Column("reason_code", sa.String(64)),
    sa.Column("defect_type", sa.String(64)),
    sa.Column("logged_by", sa.String(200)),
    sa.Column("notes", sa.String(2000)),
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

# ---- OEE rollups (seed 004 §3.4) ---------------------------------------------------------------

#: The additive OEE sums of :class:`opslens.domain.oee.OeeInputs`, one column each, so any set
#: of machine-hours pools exactly by SUM (never an average of OEEs).
OEE_SUMS = ("all_time_s", "scheduled_s", "planned_downtime_s", "unplanned_downtime_s", "setup_s",
            "minor_stop_s", "ideal_output_s", "ideal_good_s", "ideal_startup_reject_s",
            "total_count", "good_count", "scrap_count", "rework_count", "startup_reject_count",
            "unknown_ideal_count", "failures", "repair_s")


def _oee_sums() -> list[sa.Column]:
    return [sa.Column(name, sa.Integer if name == "failures" else sa.Double, nullable=False)
            for name in OEE_SUMS]


# One row per machine, local hour of its site and shift (the part of the hour a shift covers;
# shift_id '' for the rest), with the default minor-stop threshold. Rows of a site-hour are
# only complete when oee_rollup_hours marks it; no primary key, as for wo_segments.
oee_hours = sa.Table(
    "oee_hours",
    metadata,
    sa.Column(ORG, sa.String(64), nullable=False),
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("machine_id", sa.String(64), nullable=False),
    sa.Column("hour_start", TS, nullable=False),  # the instant the local hour begins
    sa.Column("day", sa.Date, nullable=False),  # its local date
    sa.Column("hour", sa.SmallInteger, nullable=False),  # its local hour of day, 0–23
    sa.Column("shift_id", sa.String(64), nullable=False),
    *_oee_sums(),
)

# Downtime per machine, local hour, reason and the loss it counted as (overlaps resolved,
# clipped to the hour): seconds, and the stops whose first piece begins in the hour.
oee_hour_reasons = sa.Table(
    "oee_hour_reasons",
    metadata,
    sa.Column(ORG, sa.String(64), nullable=False),
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("machine_id", sa.String(64), nullable=False),
    sa.Column("hour_start", TS, nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("reason_code", sa.String(64), nullable=False),
    sa.Column("loss", sa.String(32), nullable=False),
    sa.Column("seconds", sa.Double, nullable=False),
    sa.Column("stops", sa.Integer, nullable=False),
)

# The sums of oee_hours per machine, local day and shift, once every hour of the day is stored.
oee_days = sa.Table(
    "oee_days",
    metadata,
    sa.Column(ORG, sa.String(64), nullable=False),
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("machine_id", sa.String(64), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("shift_id", sa.String(64), nullable=False),
    *_oee_sums(),
)

# Which site-hours and site-days have complete rows above, and from which as_of they hold.
oee_rollup_hours = sa.Table(
    "oee_rollup_hours",
    metadata,
    _org(),
    sa.Column("site_id", sa.String(64), primary_key=True),
    sa.Column("hour_start", TS, primary_key=True),
    sa.Column("hour_end", TS, nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("stable_from", TS, nullable=False),
    sa.Column("computed_at", TS, nullable=False),
)
oee_rollup_days = sa.Table(
    "oee_rollup_days",
    metadata,
    _org(),
    sa.Column("site_id", sa.String(64), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("day_start", TS, nullable=False),
    sa.Column("day_end", TS, nullable=False),
    sa.Column("stable_from", TS, nullable=False),
    sa.Column("computed_at", TS, nullable=False),
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
    ("ix_downtime_events_machine_start", "downtime_events", (ORG, "machine_id", "start_time")),
    ("ix_downtime_events_site_start", "downtime_events", (ORG, "site_id", "start_time")),
    ("ix_production_counts_site_at", "production_counts", (ORG, "site_id", "counted_at")),
    ("ix_energy_readings_site_time", "energy_readings", (ORG, "site_id", "reading_time")),
    ("ix_oee_hours_site_hour", "oee_hours", (ORG, "site_id", "hour_start")),
    ("ix_oee_hour_reasons_site_hour", "oee_hour_reasons", (ORG, "site_id", "hour_start")),
    ("ix_oee_days_site_day", "oee_days", (ORG, "site_id", "day")),
    ("ix_performance_logs_machine_at", "performance_logs", (ORG, "machine_id", "logged_at")),
    ("ix_performance_logs_site_at", "performance_logs", (ORG, "site_id", "logged_at")),
    ("ix_quality_events_machine_at", "quality_events", (ORG, "machine_id", "occurred_at")),
    ("ix_quality_events_site_at", "quality_events", (ORG, "site_id", "occurred_at")),
)

# The grid tables live in their own module and join this metadata when it is imported.
from opslens.store import grid_schema  # noqa: E402,F401
