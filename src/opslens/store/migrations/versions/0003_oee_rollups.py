"""OEE rollups: per machine, local hour and shift (oee_hours), per reason (oee_hour_reasons),
per machine, day and shift (oee_days), and the marks of the complete site-hours and site-days.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ID = sa.String(64)
SUMS = ("all_time_s", "scheduled_s", "planned_downtime_s", "unplanned_downtime_s", "setup_s",
        "minor_stop_s", "ideal_output_s", "ideal_good_s", "ideal_startup_reject_s",
        "total_count", "good_count", "scrap_count", "rework_count", "startup_reject_count",
        "unknown_ideal_count", "failures", "repair_s")
INDEXES = (  # PostgreSQL only, each after organization_id
    ("ix_oee_hours_site_hour", "oee_hours", ("site_id", "hour_start")),
    ("ix_oee_hour_reasons_site_hour", "oee_hour_reasons", ("site_id", "hour_start")),
    ("ix_oee_days_site_day", "oee_days", ("site_id", "day")),
)


def _ids(*names: str) -> list[sa.Column]:
    return [sa.Column(name, ID, nullable=False) for name in names]


def _sums() -> list[sa.Column]:
    return [sa.Column(name, sa.Integer if name == "failures" else sa.Double, nullable=False)
            for name in SUMS]


def _marks(*key: sa.Column) -> list[sa.Column]:
    return [sa.Column("organization_id", ID, primary_key=True),
            sa.Column("site_id", ID, primary_key=True), *key]


def upgrade() -> None:
    op.create_table(
        "oee_hours", *_ids("organization_id", "site_id", "machine_id"),
        sa.Column("hour_start", TS, nullable=False), sa.Column("day", sa.Date, nullable=False),
        sa.Column("hour", sa.SmallInteger, nullable=False), *_ids("shift_id"), *_sums(),
    )
    op.create_table(
        "oee_hour_reasons", *_ids("organization_id", "site_id", "machine_id"),
        sa.Column("hour_start", TS, nullable=False), sa.Column("day", sa.Date, nullable=False),
        *_ids("reason_code"), sa.Column("loss", sa.String(32), nullable=False),
        sa.Column("seconds", sa.Double, nullable=False),
        sa.Column("stops", sa.Integer, nullable=False),
    )
    op.create_table(
        "oee_days", *_ids("organization_id", "site_id", "machine_id"),
        sa.Column("day", sa.Date, nullable=False), *_ids("shift_id"), *_sums(),
    )
    op.create_table(
        "oee_rollup_hours", *_marks(sa.Column("hour_start", TS, primary_key=True)),
        sa.Column("hour_end", TS, nullable=False), sa.Column("day", sa.Date, nullable=False),
        sa.Column("stable_from", TS, nullable=False),
        sa.Column("computed_at", TS, nullable=False),
    )
    op.create_table(
        "oee_rollup_days", *_marks(sa.Column("day", sa.Date, primary_key=True)),
        sa.Column("day_start", TS, nullable=False), sa.Column("day_end", TS, nullable=False),
        sa.Column("stable_from", TS, nullable=False),
        sa.Column("computed_at", TS, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":  # DuckDB prunes by zone maps instead
        for name, table, columns in INDEXES:
            op.create_index(name, table, ["organization_id", *columns])


def downgrade() -> None:
    for table in ("oee_rollup_days", "oee_rollup_hours", "oee_days", "oee_hour_reasons",
                  "oee_hours"):
        op.drop_table(table)
