"""OEE: the time model, availability × performance × quality, TEEP and the six big losses.

DESIGN.md §5.5; ISO 22400-2:2014 (Availability = APT/PBT, Effectiveness, Quality ratio,
OEE index); Vorne Industries, *The Fast Guide to OEE* (oee.com) and Nakajima's TPM six big
losses. Time model of one machine over one window, every term in seconds [s]::

    planned_production = scheduled − planned_downtime            (≥ 0)
    run                = planned_production − unplanned_downtime  (≥ 0, minor stops stay in run)

Everything is computed from :class:`OeeInputs`, sums that pool by addition: a line, shift,
site or period is the ``+`` of its machine-windows, and its ratios are recomputed from the sums
(never the mean of OEEs). Every ratio is None when its denominator is 0: an empty window is
"undefined", not 0 % or 100 %.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from opslens.domain.reliability import mtbf_s, mttr_s


@dataclass(frozen=True, slots=True)
class OeeInputs:
    """Sums for one machine over one window, or for a pool of them (add with +).

    Attributes, times [s] and counts [units]: ``all_time_s`` calendar time of the window
    (for TEEP); ``scheduled_s`` shift time inside it, breaks included; ``planned_downtime_s``
    breaks and planned stops inside scheduled time; ``unplanned_downtime_s`` availability-loss
    stops inside planned production time (minor stops excluded), of which ``setup_s`` are
    setup/adjustments; ``minor_stop_s`` short stops (a performance loss) inside run time;
    ``ideal_output_s``, ``ideal_good_s``, ``ideal_startup_reject_s`` Σ ideal_cycle_time ×
    total, good and startup-reject counts, over the counts whose ideal cycle time is known;
    ``total_count``, ``good_count``, ``scrap_count``, ``rework_count``,
    ``startup_reject_count`` (part of total − good); ``unknown_ideal_count`` the total count of
    units without an ideal cycle time; ``failures`` breakdowns begun in the window (ISO 22400
    FE) and ``repair_s`` their repair time (TTR).

    >>> a = OeeInputs(scheduled_s=100.0, total_count=3.0)
    >>> b = OeeInputs(scheduled_s=50.0, failures=1)
    >>> (a + b).scheduled_s, sum([a, b], OeeInputs()).total_count, sum([a, b]).failures
    (150.0, 3.0, 1)
    """

    all_time_s: float = 0.0
    scheduled_s: float = 0.0
    planned_downtime_s: float = 0.0
    unplanned_downtime_s: float = 0.0
    setup_s: float = 0.0
    minor_stop_s: float = 0.0
    ideal_output_s: float = 0.0
    ideal_good_s: float = 0.0
    ideal_startup_reject_s: float = 0.0
    total_count: float = 0.0
    good_count: float = 0.0
    scrap_count: float = 0.0
    rework_count: float = 0.0
    startup_reject_count: float = 0.0
    unknown_ideal_count: float = 0.0
    failures: int = 0
    repair_s: float = 0.0

    def __add__(self, other: OeeInputs) -> OeeInputs:
        if not isinstance(other, OeeInputs):
            return NotImplemented
        return OeeInputs(*(getattr(self, f.name) + getattr(other, f.name) for f in _FIELDS))

    def __radd__(self, other: object) -> OeeInputs:
        if other == 0:  # the start value of the builtin ``sum``
            return self
        return NotImplemented

    @property
    def planned_production_s(self) -> float:
        """Planned production time [s] = scheduled − planned downtime, at least 0."""
        return max(0.0, self.scheduled_s - self.planned_downtime_s)

    @property
    def run_s(self) -> float:
        """Run time [s] = planned production − unplanned downtime, at least 0."""
        return max(0.0, self.planned_production_s - self.unplanned_downtime_s)


_FIELDS = fields(OeeInputs)


def availability(i: OeeInputs) -> float | None:
    """Availability [1] = run / planned_production (ISO 22400-2: APT / PBT).

    None when no production was planned; 0 (never negative) when downtime filled it.

    >>> availability(OeeInputs(scheduled_s=28800, planned_downtime_s=3600,
    ...                        unplanned_downtime_s=2820))  # Vorne: 373 / 420 min
    0.888095238095238
    >>> availability(OeeInputs()) is None
    True
    """
    planned = i.planned_production_s
    return None if planned <= 0 else i.run_s / planned


def performance_raw(i: OeeInputs) -> float | None:
    """Performance before the cap [1] = Σ(ideal_cycle_time × total_count) / run.

    ISO 22400-2 "Effectiveness". None when there was no run time, and None when some output
    has no ideal cycle time (``unknown_ideal_count > 0``): leaving those units out would
    understate performance, counting them at zero ideal time likewise, so it is not guessed.
    May exceed 1 when the ideal cycle time is set too slow or counts are wrong.

    >>> performance_raw(OeeInputs(scheduled_s=400, ideal_output_s=350, total_count=700))
    0.875
    >>> performance_raw(OeeInputs(scheduled_s=400, ideal_output_s=500))
    1.25
    >>> performance_raw(OeeInputs(scheduled_s=400, ideal_output_s=300, unknown_ideal_count=1))
    """
    run = i.run_s
    if run <= 0 or i.unknown_ideal_count > 0:
        return None
    return i.ideal_output_s / run


def performance(i: OeeInputs) -> float | None:
    """Performance used in OEE [1] = min(1, :func:`performance_raw`); None when that is None.

    >>> performance(OeeInputs(scheduled_s=400, ideal_output_s=500))
    1.0
    """
    raw = performance_raw(i)
    return None if raw is None else min(1.0, raw)


def quality(i: OeeInputs) -> float | None:
    """Quality [1] = good_count / total_count (count-based, ISO 22400-2 "Quality ratio").

    None when nothing was produced.

    >>> round(quality(OeeInputs(total_count=19271, good_count=18848)), 4)  # Vorne Fast Guide
    0.978
    >>> quality(OeeInputs()) is None
    True
    """
    return None if i.total_count <= 0 else i.good_count / i.total_count


def oee(i: OeeInputs) -> float | None:
    """OEE [1] = availability × performance × quality (capped performance).

    For a pool this is the product of the pooled ratios. None when any factor is None.

    >>> i = OeeInputs(scheduled_s=480, unplanned_downtime_s=80, ideal_output_s=350,
    ...               total_count=700, good_count=700)
    >>> round(oee(i), 4)
    0.7292
    """
    a, p, q = availability(i), performance(i), quality(i)
    return None if a is None or p is None or q is None else a * p * q


def utilization(i: OeeInputs) -> float | None:
    """Utilization (TPM loading) [1] = planned_production / all_time; None without all time.

    >>> utilization(OeeInputs(all_time_s=480, scheduled_s=480, planned_downtime_s=60))
    0.875
    """
    return None if i.all_time_s <= 0 else i.planned_production_s / i.all_time_s


def teep(i: OeeInputs) -> float | None:
    """TEEP [1] = OEE × planned_production / all_time = OEE × utilization (Vorne).

    >>> i = OeeInputs(all_time_s=960, scheduled_s=480, unplanned_downtime_s=80,
    ...               ideal_output_s=350, total_count=700, good_count=700)
    >>> round(teep(i), 4)
    0.3646
    """
    o, u = oee(i), utilization(i)
    return None if o is None or u is None else o * u


@dataclass(frozen=True, slots=True)
class SixBigLosses:
    """The six big losses of planned production time [s] and the fully productive time [s].

    With every ideal cycle time known, performance_raw ≤ 1, downtime ≤ planned time and
    setup ≤ downtime, ``fully_productive_s`` plus the six losses is ``planned_production_s``.
    The fully productive share equals OEE when quality weighted by ideal time equals count
    quality (a single ideal cycle time, say). With unknown ideal cycle times, the time spent
    on those units shows up as speed loss.
    """

    planned_production_s: float
    fully_productive_s: float
    breakdowns_s: float
    setup_adjustments_s: float
    minor_stops_s: float
    reduced_speed_s: float
    process_defects_s: float
    reduced_yield_s: float

    @property
    def shares(self) -> dict[str, float] | None:
        """Each term as a share of planned production time [1]; None when that is 0."""
        planned = self.planned_production_s
        if planned <= 0:
            return None
        return {f.name.removesuffix("_s"): getattr(self, f.name) / planned
                for f in fields(self)[1:]}


def six_big_losses(i: OeeInputs) -> SixBigLosses:
    """Split planned production time into fully productive time and the six big losses [s].

    .. math::

        breakdowns = unplanned\\_downtime − setup, \\quad setup\\_adjustments = setup

        speed = max(run − ideal\\_output, 0), \\quad minor\\_stops = min(minor\\_stop, speed),
        \\quad reduced\\_speed = speed − minor\\_stops

        process\\_defects = ideal\\_output − ideal\\_good − ideal\\_startup\\_reject,
        \\quad reduced\\_yield = ideal\\_startup\\_reject, \\quad fully\\_productive = ideal\\_good

    Loss categories after Nakajima (TPM) and Vorne "Six Big Losses". Example, in minutes:
    480 planned, 80 down (30 setup), ideal cycle 0.5, 700 made, 100 rejected, 40 at startup:

    >>> losses = six_big_losses(OeeInputs(scheduled_s=480.0, unplanned_downtime_s=80.0,
    ...     setup_s=30.0, ideal_output_s=350.0, ideal_good_s=300.0,
    ...     ideal_startup_reject_s=20.0, total_count=700.0, good_count=600.0))
    >>> (losses.breakdowns_s, losses.reduced_speed_s, losses.process_defects_s,
    ...  losses.reduced_yield_s, losses.fully_productive_s)
    (50.0, 50.0, 30.0, 20.0, 300.0)
    """
    speed_loss = max(i.run_s - i.ideal_output_s, 0.0)
    minor_stops = min(i.minor_stop_s, speed_loss)
    return SixBigLosses(
        planned_production_s=i.planned_production_s,
        fully_productive_s=i.ideal_good_s,
        breakdowns_s=i.unplanned_downtime_s - i.setup_s,
        setup_adjustments_s=i.setup_s,
        minor_stops_s=minor_stops,
        reduced_speed_s=speed_loss - minor_stops,
        process_defects_s=i.ideal_output_s - i.ideal_good_s - i.ideal_startup_reject_s,
        reduced_yield_s=i.ideal_startup_reject_s,
    )


@dataclass(frozen=True, slots=True)
class OeeResult:
    """Every OEE figure of one pool: ratios [1] (None when undefined), times [s], counts."""

    availability: float | None
    performance: float | None
    performance_raw: float | None
    performance_capped: bool
    quality: float | None
    oee: float | None
    teep: float | None
    utilization: float | None
    all_time_s: float
    scheduled_s: float
    planned_production_s: float
    run_s: float
    unplanned_downtime_s: float
    total_count: float
    good_count: float
    mtbf_s: float | None
    mttr_s: float | None
    losses: SixBigLosses

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON, the loss shares included under ``losses["shares"]``."""
        out = asdict(self)
        out["losses"]["shares"] = self.losses.shares
        return out


def evaluate(i: OeeInputs) -> OeeResult:
    """Every OEE figure of a pool of sums; MTBF is run time / failures, MTTR repair / failures.

    Vorne Fast Guide: 480 min shift, 60 min breaks, 47 min down, ideal 1 s, 19,271 made,
    423 rejected:

    >>> r = evaluate(OeeInputs(all_time_s=28800, scheduled_s=28800, planned_downtime_s=3600,
    ...     unplanned_downtime_s=2820, ideal_output_s=19271, total_count=19271,
    ...     good_count=18848))
    >>> [round(x, 4) for x in (r.availability, r.performance, r.quality, r.oee, r.teep)]
    [0.8881, 0.8611, 0.978, 0.7479, 0.6544]
    >>> r.run_s / 60, r.performance_capped, r.mtbf_s
    (373.0, False, None)
    """
    raw = performance_raw(i)
    return OeeResult(
        availability=availability(i),
        performance=performance(i),
        performance_raw=raw,
        performance_capped=raw is not None and raw > 1.0,
        quality=quality(i),
        oee=oee(i),
        teep=teep(i),
        utilization=utilization(i),
        all_time_s=i.all_time_s,
        scheduled_s=i.scheduled_s,
        planned_production_s=i.planned_production_s,
        run_s=i.run_s,
        unplanned_downtime_s=i.unplanned_downtime_s,
        total_count=i.total_count,
        good_count=i.good_count,
        mtbf_s=mtbf_s(i.run_s, i.failures),
        mttr_s=mttr_s(i.repair_s, i.failures),
        losses=six_big_losses(i),
    )
