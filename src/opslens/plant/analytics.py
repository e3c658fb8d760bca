"""What the analytics endpoints share: their query, period resolution, paging, comparison."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from opslens.domain.comparison import Direction, compare
from opslens.domain.periods import (
    COMPARISON_TYPES,
    PERIOD_NAMES,
    DateRange,
    comparison_range,
    local_today,
    resolve_period,
)
from opslens.errors import InvalidInput
from opslens.plant.sites import Site

PeriodName = Literal[PERIOD_NAMES]  # type: ignore[valid-type]
ComparisonType = Literal[COMPARISON_TYPES]  # type: ignore[valid-type]


class AnalyticsQuery(BaseModel):
    """Parameters of seed 003's analytics mode (same names as its query string)."""

    model_config = ConfigDict(extra="forbid")

    site_id: str | None = Field(None, description="Site (factory); optional when there is one.")
    time_period: PeriodName = Field("yesterday", description="Named period, or `custom`.")
    date_from: date | None = Field(None, description="First day of a custom period.")
    date_to: date | None = Field(None, description="Last day of a custom period (inclusive).")
    enable_comparison: bool = False
    comparison_type: ComparisonType = "previous_period"
    page: int = Field(1, ge=1, description="Page of the daily table.")
    per_page: int = Field(10, ge=1, le=1000, description="Days per page of the daily table.")
    as_of: datetime | None = Field(None, description="The instant taken as now (ISO 8601).")
    refresh: bool = Field(False, description="Bypass the cache (the refresh button).")

    @field_validator("as_of")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("as_of needs a UTC offset, e.g. 2025-10-14T12:00:00+02:00")
        return value

    def resolved_as_of(self) -> datetime:
        return self.as_of or datetime.now(UTC)


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
