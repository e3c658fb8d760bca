"""Grid: the network, canonical events, dead letters, outages with their customers, the change
feed, correlation state, storm periods, crews and assignments (DESIGN.md §4, §6).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ID = sa.String(64)
TABLES = ("crew_assignments", "crews", "storm_periods", "oms_state", "oms_changes",
          "outage_customers", "outages", "grid_dead_letters", "grid_events", "grid_elements",
          "grid_networks")
INDEXES = (  # PostgreSQL only, each after organization_id
    ("ix_grid_elements_parent", "grid_elements", ("parent_id",)),
    ("ix_grid_events_occurred", "grid_events", ("occurred_at",)),
    ("ix_grid_events_outage", "grid_events", ("outage_id",)),
    ("ix_outages_started", "outages", ("started_at",)),
    ("ix_outages_status", "outages", ("status",)),
    ("ix_outage_customers_element", "outage_customers", ("element_id",)),
    ("ix_oms_changes_entity", "oms_changes", ("entity", "entity_id")),
    ("ix_crew_assignments_outage", "crew_assignments", ("outage_id",)),
    ("ix_crew_assignments_crew", "crew_assignments", ("crew_id", "dispatched_at")),
)


def _key(*names: str) -> list[sa.Column]:
    return [sa.Column(name, ID, primary_key=True) for name in ("organization_id", *names)]


def _updated() -> sa.Column:
    return sa.Column("updated_at", TS, nullable=False)


def _ints(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.Integer, nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        "grid_networks", *_key(),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        *_ints("elements", "customers"), _updated(),
    )
    op.create_table(
        "grid_elements", *_key("id"),
        sa.Column("kind", sa.String(16), nullable=False), sa.Column("parent_id", ID),
        sa.Column("name", sa.String(200)),
        sa.Column("latitude", sa.Double), sa.Column("longitude", sa.Double),
        sa.Column("normally_open", sa.Boolean, nullable=False),
        sa.Column("customers", sa.Integer, nullable=False),
        sa.Column("critical", sa.Boolean, nullable=False),
        sa.Column("customer_id", ID), sa.Column("point_kind", sa.String(8)),
        sa.Column("feeder_id", ID), sa.Column("substation_id", ID),
        sa.Column("geometry", sa.Text), _updated(),
    )
    op.create_table(
        "grid_events", *_key("id"),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("device_id", ID), sa.Column("customer_id", ID), sa.Column("element_id", ID),
        sa.Column("latitude", sa.Double), sa.Column("longitude", sa.Double),
        sa.Column("occurred_at", TS, nullable=False), sa.Column("received_at", TS, nullable=False),
        sa.Column("detail", sa.Text), sa.Column("outage_id", ID),
        sa.Column("suppressed", sa.Boolean, nullable=False), _updated(),
    )
    op.create_table(
        "grid_dead_letters", *_key("id"),
        sa.Column("adapter", sa.String(32), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("reason", sa.String(2000), nullable=False),
        sa.Column("errors", sa.Text, nullable=False),
        sa.Column("content_type", sa.String(200)),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_table(
        "outages", *_key("id"),
        sa.Column("device_id", ID), sa.Column("device_kind", sa.String(16)),
        sa.Column("feeder_id", ID), sa.Column("substation_id", ID),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("outage_type", sa.String(16), nullable=False),
        sa.Column("interruptions", sa.Integer, nullable=False),
        sa.Column("confidence", sa.Double, nullable=False),
        sa.Column("started_at", TS, nullable=False), sa.Column("detected_at", TS, nullable=False),
        sa.Column("confirmed_at", TS), sa.Column("restored_at", TS),
        sa.Column("cancelled_at", TS),
        *_ints("customers_affected", "critical_customers"),
        sa.Column("customer_minutes", sa.Double, nullable=False),
        sa.Column("latitude", sa.Double), sa.Column("longitude", sa.Double),
        sa.Column("parent_outage_id", ID), sa.Column("merged_into", ID),
        sa.Column("storm", sa.Boolean, nullable=False),
        *_ints("scada_events", "ami_events", "onu_events", "call_center_events"), _updated(),
    )
    op.create_table(
        "outage_customers", *_key("outage_id", "element_id"),
        sa.Column("customer_id", ID), sa.Column("customers", sa.Integer, nullable=False),
        sa.Column("critical", sa.Boolean, nullable=False),
        sa.Column("off_at", TS, nullable=False), sa.Column("restored_at", TS),
    )
    op.create_table(
        "oms_changes",
        sa.Column("organization_id", ID, primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("changed_at", TS, nullable=False),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("entity_id", ID, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_table(
        "oms_state", *_key(),
        sa.Column("next_outage", sa.BigInteger, nullable=False),
        sa.Column("storm_since", TS),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("correlation_seq", sa.BigInteger, nullable=False), _updated(),
    )
    op.create_table(
        "storm_periods",
        sa.Column("organization_id", ID, primary_key=True),
        sa.Column("started_at", TS, primary_key=True), sa.Column("ended_at", TS),
        sa.Column("peak_events_per_hour", sa.Double, nullable=False),
    )
    op.create_table(
        "crews", *_key("id"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("crew_type", sa.String(32), nullable=False),
        sa.Column("skills", sa.Text, nullable=False),
        sa.Column("home_latitude", sa.Double), sa.Column("home_longitude", sa.Double),
        sa.Column("latitude", sa.Double), sa.Column("longitude", sa.Double),
        sa.Column("position_at", TS), sa.Column("status", sa.String(16), nullable=False),
        _updated(),
    )
    op.create_table(
        "crew_assignments", *_key("id"),
        sa.Column("crew_id", ID, nullable=False), sa.Column("outage_id", ID, nullable=False),
        sa.Column("assignment_type", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("dispatched_at", TS, nullable=False), sa.Column("eta", TS),
        sa.Column("arrived_at", TS), sa.Column("completed_at", TS),
        sa.Column("notes", sa.String(2000)), _updated(),
    )
    if op.get_bind().dialect.name == "postgresql":  # DuckDB prunes by zone maps instead
        for name, table, columns in INDEXES:
            op.create_index(name, table, ["organization_id", *columns])


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
