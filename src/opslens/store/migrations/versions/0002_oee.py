"""OEE: reason codes, downtime events, production counts, ideal cycle times, energy readings,
targets, energy baselines and tariffs, OEE snapshots.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ID = sa.String(64)

INDEXES = (  # PostgreSQL only, each after organization_id
    ("ix_downtime_events_machine_start", "downtime_events", ("machine_id", "start_time")),
    ("ix_downtime_events_site_start", "downtime_events", ("site_id", "start_time")),
    ("ix_production_counts_site_at", "production_counts", ("site_id", "counted_at")),
    ("ix_energy_readings_site_time", "energy_readings", ("site_id", "reading_time")),
)


def _key(*names: str) -> list[sa.Column]:
    return [sa.Column(name, ID, primary_key=True) for name in ("organization_id", *names)]


def _doubles(*names: str, nullable: bool = False) -> list[sa.Column]:
    return [sa.Column(name, sa.Double, nullable=nullable) for name in names]


def _updated() -> sa.Column:
    return sa.Column("updated_at", TS, nullable=False)


def upgrade() -> None:
    op.create_table(
        "reason_codes", *_key("code"),
        sa.Column("category", ID, nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("planned", sa.Boolean, nullable=False),
        sa.Column("loss", sa.String(32), nullable=False),
        sa.Column("parent_code", ID), sa.Column("color", sa.String(16)),
        sa.Column("sort_order", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False), _updated(),
    )
    op.create_table(
        "downtime_events", *_key("id"),
        sa.Column("site_id", ID, nullable=False), sa.Column("machine_id", ID, nullable=False),
        sa.Column("start_time", TS, nullable=False), sa.Column("end_time", TS),
        sa.Column("reason_code", ID, nullable=False), sa.Column("planned", sa.Boolean),
        sa.Column("work_order_id", ID), sa.Column("notes", sa.String(2000)),
        sa.Column("logged_by", sa.String(200)), _updated(),
    )
    op.create_table(
        "production_counts", *_key("machine_id"),
        sa.Column("counted_at", TS, primary_key=True),
        sa.Column("site_id", ID, nullable=False), sa.Column("period_start", TS),
        *_doubles("total", "good", "scrap", "rework", "startup_rejects"),
        sa.Column("work_order_id", ID), sa.Column("product_id", ID), _updated(),
    )
    op.create_table(
        "ideal_cycle_times", *_key("product_id", "machine_id"),
        *_doubles("ideal_cycle_time_s"), _updated(),
    )
    op.create_table(
        "energy_readings", *_key("machine_id"),
        sa.Column("reading_time", TS, primary_key=True),
        sa.Column("site_id", ID, nullable=False),
        *_doubles("kwh_consumed", "meter_reading", nullable=True),
        sa.Column("work_order_id", ID), sa.Column("batch_id", ID), sa.Column("product_id", ID),
        _updated(),
    )
    op.create_table(
        "oee_targets", *_key("id"),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("reference_id", ID, nullable=False),
        *_doubles("oee_target", "availability_target", "performance_target", "quality_target",
                  nullable=True),
        sa.Column("effective_date", sa.Date, nullable=False), sa.Column("expiry_date", sa.Date),
        _updated(),
    )
    op.create_table(
        "energy_baselines", *_key("id"),
        sa.Column("machine_id", ID), sa.Column("product_id", ID),
        *_doubles("kwh_per_unit", "kwh_per_hour", nullable=True),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("notes", sa.String(2000)), _updated(),
    )
    op.create_table(
        "energy_tariffs", *_key("id"),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("effective_date", sa.Date, nullable=False),
        *_doubles("flat_rate"),
        sa.Column("periods", sa.String(4000), nullable=False),
        sa.Column("currency", sa.String(8), nullable=False), _updated(),
    )
    op.create_table(
        "oee_snapshots", *_key("id"),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("reference_id", ID, nullable=False),
        sa.Column("window_start", TS, nullable=False), sa.Column("window_end", TS, nullable=False),
        sa.Column("snapshot_time", TS, nullable=False),
        *_doubles("availability", "performance", "quality", "oee", nullable=True),
        *_doubles("planned_production_s", "run_s", "ideal_output_s", "total_count", "good_count"),
        sa.Column("detail", sa.String(20000), nullable=False),
        sa.Column("created_by", sa.String(200)),
    )
    if op.get_bind().dialect.name == "postgresql":  # DuckDB prunes by zone maps instead
        for name, table, columns in INDEXES:
            op.create_index(name, table, ["organization_id", *columns])


def downgrade() -> None:
    for table in ("oee_snapshots", "energy_tariffs", "energy_baselines", "oee_targets",
                  "energy_readings", "ideal_cycle_times", "production_counts",
                  "downtime_events", "reason_codes"):
        op.drop_table(table)
