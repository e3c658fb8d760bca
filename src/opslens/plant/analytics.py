"""What the analytics endpoints share: their query, period resolution, paging, comparison."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.engine import Connection

from opslens.domain.comparison import Direction, compare
from opslens.domain.periods import (
    COMPARISON_TYPES,
    PERIOD_NAMES,
    DateRange,
    aware_as_of,
    check_day,
    comparison_range,
    local_today,
    resolve_period,
)
from opslens.errors import InvalidInput
from opslens.plant.sites import Site

PeriodName = Literal[PERIOD_NAMES]  # type: ignore[valid-type]
ComparisonType = Literal[COMPARISON_TYPES]  # type: ignore[valid-type]


class AsOfQuery(BaseModel):
    """Parameters every endpoint that depends on "now" takes (DESIGN.md §3)."""

    model_config = ConfigDict(extra="forbid")

    as_of: datetime | None = Field(None, description="The instant taken as now (ISO 8601).")
    refresh: bool = Field(False, description="Bypass the cache (the refresh button).")

    @field_validator("as_of")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return aware_as_of(value)

    def resolved_as_of(self) -> datetime:
        return self.as_of or datetime.now(UTC)


class AnalyticsQuery(AsOfQuery):
    """Parameters of seed 003's analytics mode (same names as its query string)."""

    site_id: str | None = Field(None, description="Site (factory); optional when there is one.")
    time_period: PeriodName = Field("yesterday", description="Named period, or `custom`.")
    date_from: date | None = Field(None, description="First day of a custom period.")
    date_to: date | None = Field(None, description="Last day of a custom period (inclusive).")
    enable_comparison: bool = False
    comparison_type: ComparisonType = "previous_period"
    page: int = Field(1, ge=1, description="Page of the daily table.")
    per_page: int = Field(10, ge=1, le=1000, description="Days per page of the daily table.")

    @field_validator("date_from", "date_to")
    @classmethod
    def _in_calendar(cls, value: date | None, info) -> date | None:
        return None if value is None else check_day(value, info.field_name)


@dataclass(frozen=True)
class Periods:
    primary: DateRange
    comparison: DateRange | None


def resolve(query: AnalyticsQuery, site: Site, as_of: datetime) -> Periods:
    today = local_today(as_of, site.tz)
    primary = resolve_period(query.time_period, today, query.date_from, query.date_to)
    comparison = (comparison_range(primary, query.comparison_type)
                  if query.enable_comparison else None)
    return Periods(primary, comparison)


def page_of(rows: Sequence[Any], page: int, per_page: int, clamp: bool = False
            ) -> tuple[list[Any], dict[str, int]]:
    """One page of a table, and the paging facts a table footer needs. ``clamp`` turns a page
    past the end into the last page (a shorter comparison period beside the primary one)."""
    total = len(rows)
    pages = max(1, -(-total // per_page))
    if clamp:
        page = min(page, pages)
    if page > pages:
        raise InvalidInput(f"page {page} does not exist; this table has {pages} page(s) "
                           f"of {per_page}")
    start = (page - 1) * per_page
    return list(rows[start:start + per_page]), {
        "page": page, "per_page": per_page, "total_items": total, "total_pages": pages,
    }


class PeriodBuilder(Protocol):
    def __call__(self, conn: Connection, org: str, site: Site, period: DateRange,
                 as_of: datetime, query: AnalyticsQuery, paginate: bool,
                 comparison: bool) -> dict[str, Any]: ...


def analytics_response(
    conn: Connection, org: str, site: Site, query: AnalyticsQuery, paginate: bool,
    build: PeriodBuilder, directions: Mapping[str, Direction],
    keys: Mapping[str, str] | None = None, ndigits: Callable[[str], int] = lambda _name: 2,
) -> dict[str, Any]:
    """Seed 003's analytics-mode response: the primary period and, when asked for, the
    comparison period with each metric compared in its declared direction."""
    as_of = query.resolved_as_of()
    periods = resolve(query, site, as_of)
    result: dict[str, Any] = {
        "site": site_block(site), "as_of": as_of.isoformat(), "time_period": query.time_period,
        "primary_period": build(conn, org, site, periods.primary, as_of, query, paginate, False),
    }
    if periods.comparison is not None:
        result["comparison_type"] = query.comparison_type
        result["comparison_period"] = build(conn, org, site, periods.comparison, as_of, query,
                                            paginate, True)
        result["comparison_analysis"] = comparison_analysis(
            result["primary_period"]["summary"], result["comparison_period"]["summary"],
            directions, keys, ndigits)
    return result


def comparison_analysis(
    current: Mapping[str, Any], previous: Mapping[str, Any],
    directions: Mapping[str, Direction], keys: Mapping[str, str] | None = None,
    ndigits: Callable[[str], int] = lambda _name: 2,
) -> dict[str, Any]:
    """Compare each metric of two summaries with the metric's own direction."""
    keys = keys or {name: name for name in directions}
    return {
        name: compare(current[keys[name]], previous[keys[name]], directions[name],
                      ndigits=ndigits(name))
        for name in directions
    }


def site_block(site: Site) -> dict[str, Any]:
    return {"id": site.id, "name": site.name, "timezone": site.tz.key}
