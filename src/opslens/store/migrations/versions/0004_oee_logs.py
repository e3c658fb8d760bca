"""OEE logs: performance logs (cycle times as logged) and quality events (seed 004 §3.1
oee_performance_logs, oee_quality_events).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ID = sa.String(64)

INDEXES = (  # PostgreSQL only, each after organization_id
    ("ix_performance_logs_machine_at", "performance_logs", ("machine_id", "logged_at")),
    ("ix_performance_logs_site_at", "performance_logs", ("site_id", "logged_at")),
    ("ix_quality_events_machine_at", "quality_events", ("machine_id", "occurred_at")),
    ("ix_quality_events_site_at", "quality_events", ("site_id", "occurred_at")),
)


def _key(*names: str) -> list[sa.Column]:
    return [sa.Column(name, ID, primary_key=True) for name in ("organization_id", *names)]


def _updated() -> sa.Column:
    return sa.Column("updated_at", TS, nullable=False)


def upgrade() -> None:
    op.create_table(
        "performance_logs", *_key("id"),
        sa.Column("site_id", ID, nullable=False), sa.Column("machine_id", ID, nullable=False),
        sa.Column("work_order_id", ID), sa.Column("operation_id", ID),
        sa.Column("logged_at", TS, nullable=False), sa.Column("period_start", TS),
        sa.Column("actual_cycle_time_s", sa.Double, nullable=False),
        sa.Column("target_cycle_time_s", sa.Double),
        sa.Column("units_produced", sa.Double, nullable=False),
        sa.Column("product_id", ID), sa.Column("notes", sa.String(2000)),
        sa.Column("logged_by", sa.String(200)), _updated(),
    )
    op.create_table(
        "quality_events", *_key("id"),
        sa.Column("site_id", ID, nullable=False), sa.Column("machine_id", ID, nullable=False),
        sa.Column("work_order_id", ID), sa.Column("operation_id", ID),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("quantity", sa.Double, nullable=False),
        sa.Column("reason_code", ID), sa.Column("defect_type", ID),
        sa.Column("logged_by", sa.String(200)), sa.Column("notes", sa.String(2000)),
        _updated(),
    )
    if op.get_bind().dialect.name == "postgresql":  # DuckDB prunes by zone maps instead
        for name, table, columns in INDEXES:
            op.create_index(name, table, ["organization_id", *columns])


def downgrade() -> None:
    for table in ("quality_events", "performance_logs"):
        op.drop_table(table)
