"""Distribution reliability indices of IEEE Std 1366-2012 and its 2.5 beta method for major
event days (DESIGN.md §6.2).

Two steps, as the guide computes them. :func:`tally` folds per-customer interruption records
into the sums every index needs (:class:`Totals`); the index functions divide those sums by
the customers served ``N_T``, the customers interrupted ``CN`` or each other. The store
computes the same :class:`Totals` in SQL for large periods; :func:`tally` is its reference.

Units: durations in minutes, so SAIDI, CAIDI and CTAIDI are minutes; frequencies are
interruptions per customer; ASAI, CEMI and CELID are fractions in [0, 1]. A *customer* here
is what a record names (a service point serving ``customers`` customers): its ``customers``
weight every count, and an ONU that shares its customer with a meter carries weight 0.
Sustained interruptions are those longer than 5 minutes; momentary events and their
interruptions (reclose operations) only feed MAIFI and MAIFI_E. Every ratio with a zero
denominator is None.

Reference: IEEE Std 1366-2012, *IEEE Guide for Electric Power Distribution Reliability
Indices*, clauses 3 (definitions), 4.3–4.5 (indices) and 4.5 / annex B (major event days).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from opslens.errors import InvalidInput

__all__ = [
    "BETA_MULTIPLIER",
    "INDEX_NAMES",
    "Interruption",
    "MedThreshold",
    "Totals",
    "asai",
    "caidi",
    "caifi",
    "celid",
    "cemi",
    "ctaidi",
    "indices",
    "maifi",
    "maifi_e",
    "major_event_days",
    "med_threshold",
    "saidi",
    "saifi",
    "tally",
]

#: The "2.5" of the 2.5 beta method.
BETA_MULTIPLIER = 2.5
INDEX_NAMES = ("saifi", "saidi", "caidi", "caifi", "ctaidi", "asai", "maifi", "maifi_e",
               "cemi", "celid_s", "celid_t")


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


@dataclass(frozen=True)
class Interruption:
    """One interruption of one customer (or service point) by one event.

    ``customer`` identifies who was interrupted, ``customers`` how many customers that is
    (``N_i``, usually 1), ``minutes`` the duration ``r_i`` [min] of a sustained interruption.
    A momentary event (``sustained=False``) has ``operations`` momentary interruptions
    (``IM_i``, its reclose operations) and no duration that counts.
    """

    customer: str
    customers: int
    minutes: float = 0.0
    sustained: bool = True
    operations: int = 1

    def __post_init__(self) -> None:
        if self.customers < 0 or self.minutes < 0 or self.operations < 0:
            raise InvalidInput(f"interruption of {self.customer!r} has a negative count or "
                               "duration; customers, minutes and operations must be ≥ 0")


@dataclass(frozen=True)
class Totals:
    """The sums of IEEE 1366-2012 over a period; customers are weighted by ``customers``.

    customer_interruptions  Σ N_i over sustained interruptions [customer interruptions]
    customer_minutes        Σ r_i·N_i over sustained interruptions [customer-minutes]
    customers_interrupted   CN, distinct customers with ≥ 1 sustained interruption
    customers_over_n        CN(k>n), customers with more than ``n`` sustained interruptions
    customers_long_single   customers with one sustained interruption ≥ the CELID time
    customers_long_total    customers whose sustained interruptions sum to ≥ the CELID time
    momentary_interruptions Σ IM_i·N_mi [customer momentary interruptions]
    momentary_events        Σ ID_E·N_mi [customer momentary events]
    """

    customer_interruptions: float = 0.0
    customer_minutes: float = 0.0
    customers_interrupted: float = 0.0
    customers_over_n: float = 0.0
    customers_long_single: float = 0.0
    customers_long_total: float = 0.0
    momentary_interruptions: float = 0.0
    momentary_events: float = 0.0


def tally(interruptions: Iterable[Interruption], cemi_n: int = 1,
          celid_minutes: float = 360.0) -> Totals:
    """Fold interruption records into the sums of :class:`Totals`.

    A customer's weight is its largest ``customers`` among its records. CEMI counts customers
    with *more than* ``cemi_n`` sustained interruptions; CELID those whose longest single
    (CELID-s) or total (CELID-t) sustained interruption time is *longer than or equal to*
    ``celid_minutes`` (IEEE 1366-2012: "durations longer than or equal to a given time").

    Examples
    --------
    >>> t = tally([Interruption("A", 1, 90), Interruption("A", 1, 300), Interruption("B", 2, 30),
    ...            Interruption("C", 1, sustained=False, operations=3)], cemi_n=1)
    >>> t.customer_interruptions, t.customer_minutes, t.customers_interrupted, t.customers_over_n
    (4.0, 450.0, 3.0, 1.0)
    >>> t.customers_long_single, t.customers_long_total, t.momentary_interruptions
    (0.0, 1.0, 3.0)
    """
    if cemi_n < 0 or celid_minutes < 0:
        raise InvalidInput("cemi_n and celid_minutes must be ≥ 0")
    weight: dict[str, int] = {}
    count: dict[str, int] = {}
    total: dict[str, float] = {}
    longest: dict[str, float] = {}
    sums = [0.0, 0.0, 0.0, 0.0]  # Σ N_i, Σ r_i N_i, Σ IM_i N_mi, Σ ID_E N_mi
    for i in interruptions:
        if i.sustained:
            sums[0] += i.customers
            sums[1] += i.minutes * i.customers
            weight[i.customer] = max(weight.get(i.customer, 0), i.customers)
            count[i.customer] = count.get(i.customer, 0) + 1
            total[i.customer] = total.get(i.customer, 0.0) + i.minutes
            longest[i.customer] = max(longest.get(i.customer, 0.0), i.minutes)
        else:
            sums[2] += i.operations * i.customers
            sums[3] += i.customers
    return Totals(
        customer_interruptions=sums[0], customer_minutes=sums[1],
        customers_interrupted=float(sum(weight.values())),
        customers_over_n=float(sum(w for c, w in weight.items() if count[c] > cemi_n)),
        customers_long_single=float(sum(w for c, w in weight.items()
                                        if longest[c] >= celid_minutes)),
        customers_long_total=float(sum(w for c, w in weight.items()
                                       if total[c] >= celid_minutes)),
        momentary_interruptions=sums[2], momentary_events=sums[3],
    )


def saifi(customer_interruptions: float, customers_served: float) -> float | None:
    """System Average Interruption Frequency Index [interruptions/customer].

    ``SAIFI = Σ N_i / N_T`` over sustained interruptions (IEEE 1366-2012); None when
    no customer is served.

    >>> saifi(170, 1000)
    0.17
    """
    return _ratio(customer_interruptions, customers_served)


def saidi(customer_minutes: float, customers_served: float) -> float | None:
    """System Average Interruption Duration Index [min].

    ``SAIDI = Σ r_i·N_i / N_T`` (IEEE 1366-2012); None when no customer is served.

    >>> saidi(25_800, 1000)
    25.8
    """
    return _ratio(customer_minutes, customers_served)


def caidi(customer_minutes: float, customer_interruptions: float) -> float | None:
    """Customer Average Interruption Duration Index [min].

    ``CAIDI = Σ r_i·N_i / Σ N_i = SAIDI / SAIFI`` (IEEE 1366-2012); None without
    sustained interruptions.

    >>> round(caidi(25_800, 170), 4)
    151.7647
    """
    return _ratio(customer_minutes, customer_interruptions)


def caifi(customer_interruptions: float, customers_interrupted: float) -> float | None:
    """Customer Average Interruption Frequency Index [interruptions/customer interrupted].

    ``CAIFI = Σ N_i / CN``, CN counting each interrupted customer once (IEEE 1366-2012);
    None when nobody was interrupted.

    >>> round(caifi(170, 120), 6)
    1.416667
    """
    return _ratio(customer_interruptions, customers_interrupted)


def ctaidi(customer_minutes: float, customers_interrupted: float) -> float | None:
    """Customer Total Average Interruption Duration Index [min].

    ``CTAIDI = Σ r_i·N_i / CN`` (IEEE 1366-2012); None when nobody was interrupted.

    >>> ctaidi(25_800, 120)
    215.0
    """
    return _ratio(customer_minutes, customers_interrupted)


def asai(customer_minutes: float, customers_served: float, period_hours: float
         ) -> float | None:
    """Average Service Availability Index [1].

    ``ASAI = (N_T·T − Σ r_i·N_i / 60) / (N_T·T)`` with ``T`` the period [h] (IEEE 1366-2012);
    None when no customer is served or the period is empty.

    >>> round(asai(25_800, 1000, 8760), 8)
    0.99995091
    """
    customer_hours_demanded = customers_served * period_hours
    if customer_hours_demanded <= 0:
        return None
    return 1.0 - customer_minutes / 60.0 / customer_hours_demanded


def maifi(momentary_interruptions: float, customers_served: float) -> float | None:
    """Momentary Average Interruption Frequency Index [momentary interruptions/customer].

    ``MAIFI = Σ IM_i·N_mi / N_T`` (IEEE 1366-2012); None when no customer is served.

    >>> maifi(600, 1000)
    0.6
    """
    return _ratio(momentary_interruptions, customers_served)


def maifi_e(momentary_events: float, customers_served: float) -> float | None:
    """Momentary Average Interruption Event Frequency Index [events/customer].

    ``MAIFI_E = Σ ID_E·N_mi / N_T``: a momentary event counts once whatever its reclose
    operations (IEEE 1366-2012); None when no customer is served.

    >>> maifi_e(300, 1000)
    0.3
    """
    return _ratio(momentary_events, customers_served)


def cemi(customers_over_n: float, customers_served: float) -> float | None:
    """Customers Experiencing Multiple Interruptions, CEMI_n [1].

    ``CEMI_n = CN(k>n) / N_T``: the share of customers with more than ``n`` sustained
    interruptions (IEEE 1366-2012); None when no customer is served.

    >>> cemi(50, 1000)
    0.05
    """
    return _ratio(customers_over_n, customers_served)


def celid(customers_long: float, customers_served: float) -> float | None:
    """Customers Experiencing Long Interruption Durations, CELID-s or CELID-t [1].

    ``CELID = CN(t≥T) / N_T``: the share of customers whose single (s) or total (t) sustained
    interruption time reached the given time (IEEE 1366-2012); None when no customer
    is served.

    >>> celid(20, 1000)
    0.02
    """
    return _ratio(customers_long, customers_served)


def indices(totals: Totals, customers_served: float, period_hours: float
            ) -> dict[str, float | None]:
    """Every index of :data:`INDEX_NAMES` from one period's sums.

    Examples
    --------
    >>> out = indices(Totals(170, 25_800, 120, 50, 20, 20, 600, 300), 1000, 8760)
    >>> out["saifi"], out["saidi"], out["ctaidi"], out["maifi"], out["cemi"]
    (0.17, 25.8, 215.0, 0.6, 0.05)
    >>> indices(Totals(), 0, 24)["saifi"] is None
    True
    """
    t, n_t = totals, customers_served
    return {
        "saifi": saifi(t.customer_interruptions, n_t),
        "saidi": saidi(t.customer_minutes, n_t),
        "caidi": caidi(t.customer_minutes, t.customer_interruptions),
        "caifi": caifi(t.customer_interruptions, t.customers_interrupted),
        "ctaidi": ctaidi(t.customer_minutes, t.customers_interrupted),
        "asai": asai(t.customer_minutes, n_t, period_hours),
        "maifi": maifi(t.momentary_interruptions, n_t),
        "maifi_e": maifi_e(t.momentary_events, n_t),
        "cemi": cemi(t.customers_over_n, n_t),
        "celid_s": celid(t.customers_long_single, n_t),
        "celid_t": celid(t.customers_long_total, n_t),
    }


@dataclass(frozen=True)
class MedThreshold:
    """The major event day threshold and what it was computed from.

    ``alpha`` and ``beta`` are the mean and sample standard deviation of ``ln(SAIDI/day)``
    over ``days`` days of non-zero daily SAIDI; ``t_med`` = exp(α + 2.5 β) [min].
    """

    alpha: float
    beta: float
    t_med: float
    days: int


def med_threshold(daily_saidi: Iterable[float]) -> MedThreshold | None:
    """The 2.5 beta method's threshold ``T_MED`` [min] (IEEE 1366-2012).

    .. math::  α = \\overline{\\ln x_d}, \\quad β = s(\\ln x_d), \\quad
               T_{MED} = e^{α + 2.5 β}

    over the days ``d`` of the history (up to five years) with daily SAIDI ``x_d > 0``: days
    without sustained interruptions have no logarithm and are left out, as the guide says.
    ``β`` is the sample standard deviation (divisor n − 1). With fewer than two such days
    ``β`` is undefined, so there is no threshold: None (and no day is a major event day).

    Examples
    --------
    >>> t = med_threshold([math.exp(k) for k in range(5)] + [0.0])
    >>> t.alpha, round(t.beta, 6), round(t.t_med, 3), t.days
    (2.0, 1.581139, 384.847, 5)
    >>> med_threshold([12.0]) is None
    True
    """
    logs = []
    for value in daily_saidi:
        if value < 0 or math.isnan(value):
            raise InvalidInput(f"daily SAIDI {value!r} must be a number ≥ 0 [min]")
        if value > 0:
            logs.append(math.log(value))
    n = len(logs)
    if n < 2:
        return None
    alpha = math.fsum(logs) / n
    beta = math.sqrt(math.fsum((x - alpha) ** 2 for x in logs) / (n - 1))
    return MedThreshold(alpha, beta, math.exp(alpha + BETA_MULTIPLIER * beta), n)


def major_event_days(daily_saidi: Mapping[date, float], t_med: float | None) -> list[date]:
    """The days whose SAIDI exceeds ``T_MED`` [min], in date order (IEEE 1366-2012:
    "any day with daily SAIDI greater than T_MED"); none without a threshold.

    >>> major_event_days({date(2025, 7, 2): 400.0, date(2025, 7, 1): 384.0}, 384.847)
    [datetime.date(2025, 7, 2)]
    >>> major_event_days({date(2025, 7, 2): 400.0}, None)
    []
    """
    if t_med is None:
        return []
    return sorted(day for day, value in daily_saidi.items() if value > t_med)
