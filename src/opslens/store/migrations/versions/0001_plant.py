"""Plant foundation: organizations, sites, lines, machines, shifts, work orders and their logs,
the derived timelines and the daily machine rollups.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

INDEXES = (  # PostgreSQL only, each after organization_id
    ("ix_work_orders_machine_start", "work_orders", ("machine_id", "start_time")),
    ("ix_work_orders_site_status", "work_orders", ("site_id", "status")),
    ("ix_work_order_logs_status_changed", "work_order_logs", ("status", "changed_at")),
    ("ix_wo_segments_order", "wo_segments", ("work_order_id",)),
    ("ix_wo_segments_site_end", "wo_segments", ("site_id", "seg_end")),
    ("ix_wo_marks_order", "wo_marks", ("work_order_id",)),
    ("ix_wo_marks_site_at", "wo_marks", ("site_id", "marked_at")),
    ("ix_machine_days_site_day", "machine_days", ("site_id", "day")),
)


def _id(name: str = "id") -> sa.Column:
    return sa.Column(name, sa.String(64), primary_key=True)


def upgrade() -> None:
    op.create_table(
        "organizations",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "data_versions",
        _id("organization_id"),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "sites",
        _id("organization_id"),
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("latitude", sa.Double),
        sa.Column("longitude", sa.Double),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "lines",
        _id("organization_id"),
        _id(),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "machines",
        _id("organization_id"),
        _id(),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("line_id", sa.String(64)),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("asset_id", sa.String(64)),
        sa.Column("ideal_cycle_time_s", sa.Double),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "shifts",
        _id("organization_id"),
        _id(),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("start_time", sa.String(5), nullable=False),
        sa.Column("end_time", sa.String(5), nullable=False),
        sa.Column("weekdays", sa.String(16), nullable=False),
        sa.Column("breaks", sa.String(500), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "work_orders",
        _id("organization_id"),
        _id(),
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
    op.create_table(
        "work_order_logs",
        _id("organization_id"),
        _id("work_order_id"),
        sa.Column("changed_at", TS, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("ok_qty", sa.Double),
        sa.Column("scrap_qty", sa.Double),
        sa.Column("fpy", sa.Double),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "wo_segments",
        sa.Column("organization_id", sa.String(64), nullable=False),
        sa.Column("work_order_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("seg_start", TS, nullable=False),
        sa.Column("seg_end", TS, nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("machine_id", sa.String(64), nullable=False),
        sa.Column("wo_start_time", TS, nullable=False),
        sa.Column("wo_end_time", TS),
        sa.Column("ran_from", TS),
        sa.Column("logs_from", TS),
    )
    op.create_table(
        "wo_marks",
        sa.Column("organization_id", sa.String(64), nullable=False),
        sa.Column("work_order_id", sa.String(64), nullable=False),
        sa.Column("marked_at", TS, nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("machine_id", sa.String(64), nullable=False),
        sa.Column("good_units", sa.Double, nullable=False),
        sa.Column("scrap_units", sa.Double, nullable=False),
        sa.Column("completed", sa.Integer, nullable=False),
        sa.Column("fpy_weighted", sa.Double, nullable=False),
        sa.Column("fpy_units", sa.Double, nullable=False),
        sa.Column("logs_from", TS),
    )
    op.create_table(
        "machine_days",
        _id("organization_id"),
        _id("machine_id"),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        *(
            sa.Column(name, sa.Double, nullable=False)
            for name in (
                "day_s", "running_s", "hold_s", "assigned_s", "available_s", "scheduled_s",
                "active_s", "downtime_s", "planned_downtime_s", "good_units", "scrap_units",
            )
        ),
        sa.Column("completed", sa.Integer, nullable=False),
        sa.Column("fpy_weighted", sa.Double, nullable=False),
        sa.Column("fpy_units", sa.Double, nullable=False),
        sa.Column("has_work", sa.Integer, nullable=False),
        sa.Column("computed_at", TS, nullable=False),
    )
    op.create_table(
        "rollup_days",
        _id("organization_id"),
        _id("site_id"),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("computed_at", TS, nullable=False),
        sa.Column("stable_from", TS, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":  # DuckDB prunes by zone maps instead
        for name, table, columns in INDEXES:
            op.create_index(name, table, ["organization_id", *columns])


def downgrade() -> None:
    for table in (
        "rollup_days", "machine_days", "wo_marks", "wo_segments", "work_order_logs",
        "work_orders", "shifts", "machines", "lines", "sites", "data_versions", "organizations",
    ):
        op.drop_table(table)
