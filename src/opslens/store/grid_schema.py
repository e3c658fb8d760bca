"""The grid tables (DESIGN.md §4 grid record kinds, §6): the network, events, outages, crews.

Part of the one schema (``schema.metadata``); kept in its own module because the OMS is its
own topic. Every primary key starts with ``organization_id`` as in ``schema``.
"""

from __future__ import annotations

import sqlalchemy as sa

from opslens.store.schema import ORG, TS, metadata

ID = sa.String(64)


def _key(*names: str) -> list[sa.Column]:
    return [sa.Column(name, ID, primary_key=True) for name in (ORG, *names)]


def _updated() -> sa.Column:
    return sa.Column("updated_at", TS, nullable=False)


# The network an organization runs on, one row: replaced whole, each load a new version.
grid_networks = sa.Table(
    "grid_networks",
    metadata,
    *_key(),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),  # IANA: the utility's days, MEDs
    sa.Column("elements", sa.Integer, nullable=False),
    sa.Column("customers", sa.Integer, nullable=False),
    _updated(),
)

# One element of the radial network (domain.topology.Element). Service points carry the
# customer they serve and whether they are a meter or an ONU; feeder and substation are
# copied from the layout for filters; ``geometry`` is the GeoJSON line that feeds the element.
grid_elements = sa.Table(
    "grid_elements",
    metadata,
    *_key("id"),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("parent_id", ID),
    sa.Column("name", sa.String(200)),
    sa.Column("latitude", sa.Double),
    sa.Column("longitude", sa.Double),
    sa.Column("normally_open", sa.Boolean, nullable=False),
    sa.Column("customers", sa.Integer, nullable=False),
    sa.Column("critical", sa.Boolean, nullable=False),
    sa.Column("customer_id", ID),
    sa.Column("point_kind", sa.String(8)),
    sa.Column("feeder_id", ID),
    sa.Column("substation_id", ID),
    sa.Column("geometry", sa.Text),
    _updated(),
)

# A canonical event (DESIGN.md §4): ``service_point_id`` is the network element it resolved to,
# ``outage_id`` the outage correlation put it in (NULL: none), ``suppressed`` a duplicate last
# gasp inside a known outage during storm mode. Re-sending an id is ignored, never an update.
grid_events = sa.Table(
    "grid_events",
    metadata,
    *_key("id"),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("device_id", ID),
    sa.Column("customer_id", ID),
    sa.Column("element_id", ID),
    sa.Column("latitude", sa.Double),
    sa.Column("longitude", sa.Double),
    sa.Column("occurred_at", TS, nullable=False),
    sa.Column("received_at", TS, nullable=False),
    sa.Column("detail", sa.Text),
    sa.Column("outage_id", ID),
    sa.Column("suppressed", sa.Boolean, nullable=False),
    _updated(),
)

# A native message that could not be read, kept whole for inspection.
grid_dead_letters = sa.Table(
    "grid_dead_letters",
    metadata,
    *_key("id"),
    sa.Column("adapter", sa.String(32), nullable=False),
    sa.Column("received_at", TS, nullable=False),
    sa.Column("reason", sa.String(2000), nullable=False),
    sa.Column("errors", sa.Text, nullable=False),
    sa.Column("content_type", sa.String(200)),
    sa.Column("payload", sa.Text, nullable=False),
)

# An outage at a predicted device (DESIGN.md §6.1). ``merged_into`` names the outage that
# absorbed it (status cancelled then); ``parent_outage_id`` the outage it is nested in. The
# per-source counts are the events that support it; customer_minutes is summed per customer.
outages = sa.Table(
    "outages",
    metadata,
    *_key("id"),
    sa.Column("device_id", ID),
    sa.Column("device_kind", sa.String(16)),
    sa.Column("feeder_id", ID),
    sa.Column("substation_id", ID),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("outage_type", sa.String(16), nullable=False),  # sustained or momentary
    sa.Column("interruptions", sa.Integer, nullable=False),  # operations of a momentary event
    sa.Column("confidence", sa.Double, nullable=False),
    sa.Column("started_at", TS, nullable=False),
    sa.Column("detected_at", TS, nullable=False),
    sa.Column("confirmed_at", TS),
    sa.Column("restored_at", TS),
    sa.Column("cancelled_at", TS),
    sa.Column("customers_affected", sa.Integer, nullable=False),
    sa.Column("critical_customers", sa.Integer, nullable=False),
    sa.Column("customer_minutes", sa.Double, nullable=False),
    sa.Column("latitude", sa.Double),
    sa.Column("longitude", sa.Double),
    sa.Column("parent_outage_id", ID),
    sa.Column("merged_into", ID),
    sa.Column("storm", sa.Boolean, nullable=False),
    sa.Column("scada_events", sa.Integer, nullable=False),
    sa.Column("ami_events", sa.Integer, nullable=False),
    sa.Column("onu_events", sa.Integer, nullable=False),
    sa.Column("call_center_events", sa.Integer, nullable=False),
    _updated(),
)

# Each service point an outage interrupts, with its own restoration time (IEEE 1366 counts
# customers, so ``customers`` is how many the point serves).
outage_customers = sa.Table(
    "outage_customers",
    metadata,
    *_key("outage_id", "element_id"),
    sa.Column("customer_id", ID),
    sa.Column("customers", sa.Integer, nullable=False),
    sa.Column("critical", sa.Boolean, nullable=False),
    sa.Column("off_at", TS, nullable=False),
    sa.Column("restored_at", TS),
)

# Every change of the OMS in order: the audit trail of outages and crews and the feed of
# GET /api/oms/stream. ``seq`` grows by one per change within the organization.
oms_changes = sa.Table(
    "oms_changes",
    metadata,
    sa.Column(ORG, ID, primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("changed_at", TS, nullable=False),
    sa.Column("entity", sa.String(16), nullable=False),
    sa.Column("entity_id", ID, nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
)

# Correlation state that outlives a process: the outage counter, storm mode, the last change
# written and the last one correlation depends on (outages, storm mode, the network): kept
# here so a batch reads one row, never the maximum of the growing change feed.
oms_state = sa.Table(
    "oms_state",
    metadata,
    *_key(),
    sa.Column("next_outage", sa.BigInteger, nullable=False),
    sa.Column("storm_since", TS),
    sa.Column("last_seq", sa.BigInteger, nullable=False),
    sa.Column("correlation_seq", sa.BigInteger, nullable=False),
    _updated(),
)

# Storm-mode episodes, for reports: [started_at, ended_at), ended_at NULL while it lasts.
storm_periods = sa.Table(
    "storm_periods",
    metadata,
    sa.Column(ORG, ID, primary_key=True),
    sa.Column("started_at", TS, primary_key=True),
    sa.Column("ended_at", TS),
    sa.Column("peak_events_per_hour", sa.Double, nullable=False),
)

crews = sa.Table(
    "crews",
    metadata,
    *_key("id"),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("crew_type", sa.String(32), nullable=False),
    sa.Column("skills", sa.Text, nullable=False),  # JSON list
    sa.Column("home_latitude", sa.Double),
    sa.Column("home_longitude", sa.Double),
    sa.Column("latitude", sa.Double),
    sa.Column("longitude", sa.Double),
    sa.Column("position_at", TS),
    sa.Column("status", sa.String(16), nullable=False),
    _updated(),
)

crew_assignments = sa.Table(
    "crew_assignments",
    metadata,
    *_key("id"),
    sa.Column("crew_id", ID, nullable=False),
    sa.Column("outage_id", ID, nullable=False),
    sa.Column("assignment_type", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("dispatched_at", TS, nullable=False),
    sa.Column("eta", TS),
    sa.Column("arrived_at", TS),
    sa.Column("completed_at", TS),
    sa.Column("notes", sa.String(2000)),
    _updated(),
)

POSTGRES_INDEXES = (
    ("ix_grid_elements_parent", "grid_elements", (ORG, "parent_id")),
    ("ix_grid_events_occurred", "grid_events", (ORG, "occurred_at")),
    ("ix_grid_events_outage", "grid_events", (ORG, "outage_id")),
    ("ix_outages_started", "outages", (ORG, "started_at")),
    ("ix_outages_status", "outages", (ORG, "status")),
    ("ix_outage_customers_element", "outage_customers", (ORG, "element_id")),
    ("ix_oms_changes_entity", "oms_changes", (ORG, "entity", "entity_id")),
    ("ix_crew_assignments_outage", "crew_assignments", (ORG, "outage_id")),
    ("ix_crew_assignments_crew", "crew_assignments", (ORG, "crew_id", "dispatched_at")),
)
