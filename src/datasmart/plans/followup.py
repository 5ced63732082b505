"""Follow-up of action plans: each goal indicator judged from the indicator's results.

The judgement (:func:`judge`) is a pure function of the goal (direction, baseline,
target, target year), the latest published result (value, confidence interval, numerator,
status, period) and the indicator engine's trend test for the unit. The rule is written
out in :data:`RULE_SV` (shown on the follow-up page and in the reports) and in
docs/plans.md, "Uppföljning".

:func:`plan_follow_up` builds the whole follow-up of a plan for a year (judgements,
activities by status and overdue, what changed since the last recorded follow-up) — one
structure for the page, the API, the CLI and the reports, so they never disagree.
:func:`record_follow_up` saves it as a :class:`~.models.FollowUp` snapshot (audited).
:func:`compare_units` judges the same indicator across the plans of a län's units.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from datasmart.accounts.audit import SystemActor, record_event
from datasmart.geo.models import Level, Unit
from datasmart.indicators.services import (
    Indicator,
    Result,
    decimals_for,
    format_value,
    rounded,
    unit_trend,
)

from . import rights
from .models import (
    ActionPlan,
    ActivityStatus,
    Direction,
    FollowUp,
    GoalIndicator,
    PlanStatus,
)
from .services import PlanError, get_plan, indicator_title, visible_plans

if TYPE_CHECKING:
    from django.http import HttpRequest

__all__ = [
    "MIN_EVENTS",
    "RULE_SV",
    "FollowUpReport",
    "IndicatorFollowUp",
    "Judgement",
    "Latest",
    "Verdict",
    "compare_units",
    "judge",
    "list_follow_ups",
    "plan_follow_up",
    "record_follow_up",
]

#: Fewest events (numerator) a value is judged on: the engine's rule for DSRs (fewer than
#: 10 events are not shown; Fingertips' technical guidance, docs/methods/statistics.md),
#: applied here to every indicator with a numerator — a value resting on fewer events
#: moves by chance more than most targets ask it to move.
MIN_EVENTS = 10

#: The longest note a recorded follow-up keeps.
NOTE_MAX = 5000


class Judgement(StrEnum):
    """The four judgements, best first; :data:`RANK` orders the three that judge."""

    TARGET_MET = "target_met"
    ON_TRACK = "on_track"
    NOT_ON_TRACK = "not_on_track"
    CANNOT_JUDGE = "cannot_judge"


#: Order of the judgements that judge (higher is better); ``cannot_judge`` is not ordered.
RANK: dict[Judgement, int] = {
    Judgement.NOT_ON_TRACK: 0,
    Judgement.ON_TRACK: 1,
    Judgement.TARGET_MET: 2,
}

JUDGEMENT_LABELS = {
    Judgement.TARGET_MET: gettext_lazy("Målet nått"),
    Judgement.ON_TRACK: gettext_lazy("På väg mot målet"),
    Judgement.NOT_ON_TRACK: gettext_lazy("Inte på väg mot målet"),
    Judgement.CANNOT_JUDGE: gettext_lazy("Kan inte bedömas"),
}

#: Why: one code per branch of the rule, with the text shown beside the judgement.
REASON_LABELS = {
    "no_result": gettext_lazy("Inget resultat för enheten."),
    "suppressed": gettext_lazy("Senaste värdet är röjandeskyddat."),
    "no_baseline": gettext_lazy("Utgångsvärde saknas."),
    "no_new_data": gettext_lazy("Inga nya data sedan utgångsvärdet."),
    "too_few_events": gettext_lazy("För få händelser (täljaren är under 10)."),
    "ci_too_wide": gettext_lazy(
        "Konfidensintervallet är bredare än avståndet mellan utgångsvärde och målvärde."
    ),
    "keep_no_ci": gettext_lazy("Utan konfidensintervall går det inte att avgöra om nivån hålls."),
    "target_reached": gettext_lazy("Senaste värdet når målvärdet."),
    "ahead_of_path": gettext_lazy(
        "Förändringen går åt rätt håll och i minst den takt som behövs för att nå målet i tid."
    ),
    "significant_trend": gettext_lazy(
        "Förändringen går åt rätt håll och trenden är statistiskt säker i målets riktning."
    ),
    "behind_path": gettext_lazy(
        "Förändringen går åt rätt håll men långsammare än vad som behövs, och trenden är "
        "inte statistiskt säker."
    ),
    "target_year_passed": gettext_lazy("Målåret har passerat utan att målvärdet nåtts."),
    "wrong_direction": gettext_lazy("Ingen förändring åt rätt håll sedan utgångsvärdet."),
    "kept": gettext_lazy("Målvärdet ligger inom konfidensintervallet: nivån hålls."),
    "not_kept": gettext_lazy("Målvärdet ligger utanför konfidensintervallet: nivån hålls inte."),
}

#: The rule as shown on the page and in the reports (Swedish; translated like every text).
RULE_SV = gettext_lazy(
    "Bedömningsregel. Kan inte bedömas: inget resultat, senaste värdet röjandeskyddat, "
    "utgångsvärde saknas, inget nytt värde sedan utgångsperioden, täljaren under 10 "
    "händelser, eller konfidensintervallet (95 %) bredare än avståndet mellan utgångsvärde "
    "och målvärde. Målet nått: senaste värdet når målvärdet i målets riktning. På väg mot "
    "målet: värdet har ändrats åt rätt håll sedan utgångsvärdet och antingen ligger det "
    "minst på den raka linjen från utgångsvärdet till målvärdet i målåret, eller visar "
    "indikatorns trendtest (de senaste fem perioderna, 95 %) en statistiskt säker trend i "
    "målets riktning. Annars: inte på väg mot målet. Mål att behålla en nivå: på väg (och "
    "nått när målåret är inne) om målvärdet ligger inom konfidensintervallet, annars inte."
)


@dataclass(frozen=True)
class Latest:
    """The latest stored result of the indicator for the goal owner's unit."""

    period: int
    value: float | None
    lower: float | None = None
    upper: float | None = None
    numerator: float | None = None
    status: str = "ok"


@dataclass(frozen=True)
class Verdict:
    """A judgement, the branch of the rule that gave it, and the straight-line value
    expected at the latest period (None where the rule did not get that far)."""

    judgement: Judgement
    reason: str
    expected: float | None = None

    @property
    def label(self) -> str:
        return str(JUDGEMENT_LABELS[self.judgement])

    @property
    def reason_label(self) -> str:
        return str(REASON_LABELS[self.reason])


def _year(period: int) -> float:
    """A period as a year on a continuous scale: ``2024`` → 2024.0, ``202407`` → 2024.5."""
    if period > 9999:
        return period // 100 + (period % 100 - 1) / 12
    return float(period)


def judge(
    *,
    direction: str,
    baseline: float | None,
    baseline_period: int | None,
    target: float,
    target_year: int,
    latest: Latest | None,
    trend_direction: str | None = None,
) -> Verdict:
    r"""Judge one goal indicator: target met, on track, not on track, or cannot judge.

    With :math:`b` the baseline, :math:`T` the target, :math:`v` the latest value with
    95 % interval :math:`[L, U]`, :math:`s = +1` for *increase* and :math:`-1` for
    *decrease*, :math:`t_0` the baseline period, :math:`t` the latest and :math:`t_1` the
    target year, the rule is applied in this order:

    1. **Cannot judge** when there is no result or no value; the value is suppressed;
       there is no baseline; :math:`t \le t_0` (no new data); the numerator is below
       :data:`MIN_EVENTS`; or, for increase/decrease with :math:`s(T-b) > 0`, the interval
       is wider than the distance to travel, :math:`U - L > |T - b|` — then the data cannot
       tell the starting point from the goal. None of these depends on :math:`v`, which is
       what keeps the rule monotone (below).
    2. **Target met** when :math:`s\,v \ge s\,T`. (With step 1 passed, the interval's
       limit towards the baseline then lies at or beyond :math:`b`, so the change is not
       contradicted by the interval.)
    3. **On track** when :math:`s(v - b) > 0` (changed in the right direction) and either
       :math:`s\,v \ge s\,e` with :math:`e = b + (T-b)\min(1, (t-t_0)/(t_1-t_0))`, the
       straight line from the baseline to the target in the target year ("the pace that
       reaches the target in time"), or the engine's trend test
       (:func:`datasmart.indicators.services.unit_trend`: Cochran–Armitage for
       proportions, Poisson regression for rates and counts, 95 %) is significant in the
       goal's direction (``increasing`` for increase, ``decreasing`` for decrease).
    4. Otherwise **not on track** (reason: wrong direction, behind the path, or the
       target year has passed).

    *Keep* (hold the level :math:`T`): cannot judge without an interval; else on track if
    :math:`L \le T \le U` (target met once :math:`t \ge t_1`), not on track otherwise.

    Why this shape: a follow-up must not call noise progress, so every "cannot judge"
    names the statistical reason; and a board must be able to check the judgement by
    hand, so the pace test is the straight line a reader would draw. Property (tested
    with hypothesis): with everything but :math:`v` fixed (same interval width), moving
    :math:`v` towards the target never lowers the judgement in the order
    not on track < on track < target met.
    """
    if latest is None or (latest.value is None and latest.status != "suppressed"):
        return Verdict(Judgement.CANNOT_JUDGE, "no_result")
    if latest.status == "suppressed" or latest.value is None:
        return Verdict(Judgement.CANNOT_JUDGE, "suppressed")
    if baseline is None or baseline_period is None:
        return Verdict(Judgement.CANNOT_JUDGE, "no_baseline")
    if _year(latest.period) <= _year(baseline_period):
        return Verdict(Judgement.CANNOT_JUDGE, "no_new_data")
    if latest.numerator is not None and latest.numerator < MIN_EVENTS:
        return Verdict(Judgement.CANNOT_JUDGE, "too_few_events")
    v = latest.value
    has_ci = latest.lower is not None and latest.upper is not None
    t = _year(latest.period)
    if direction == Direction.KEEP:
        if not has_ci:
            return Verdict(Judgement.CANNOT_JUDGE, "keep_no_ci")
        assert latest.lower is not None and latest.upper is not None
        if latest.lower <= target <= latest.upper:
            met = t >= target_year
            return Verdict(Judgement.TARGET_MET if met else Judgement.ON_TRACK, "kept", target)
        return Verdict(Judgement.NOT_ON_TRACK, "not_kept", target)
    s = 1.0 if direction == Direction.INCREASE else -1.0
    distance = s * (target - baseline)
    if has_ci and distance > 0:
        assert latest.lower is not None and latest.upper is not None
        if latest.upper - latest.lower > abs(target - baseline):
            return Verdict(Judgement.CANNOT_JUDGE, "ci_too_wide")
    t0, t1 = _year(baseline_period), float(target_year)
    share = 1.0 if t1 <= t0 else min(1.0, (t - t0) / (t1 - t0))
    expected = baseline + (target - baseline) * share
    if s * v >= s * target:
        return Verdict(Judgement.TARGET_MET, "target_reached", expected)
    if s * (v - baseline) <= 0:
        return Verdict(Judgement.NOT_ON_TRACK, "wrong_direction", expected)
    if s * v >= s * expected:
        return Verdict(Judgement.ON_TRACK, "ahead_of_path", expected)
    wanted = "increasing" if s > 0 else "decreasing"
    if trend_direction == wanted:
        return Verdict(Judgement.ON_TRACK, "significant_trend", expected)
    reason = "target_year_passed" if t >= t1 else "behind_path"
    return Verdict(Judgement.NOT_ON_TRACK, reason, expected)


# --- one plan's follow-up ------------------------------------------------------------------


@dataclass
class IndicatorFollowUp:
    """One goal indicator at follow-up: the figures, their display texts and the verdict."""

    key: str
    plan_id: int
    goal_id: int
    goal_text: str
    code: str
    title: str
    kind: str
    kind_label: str
    direction: str
    direction_label: str
    unit_code: str
    unit_name: str
    decimals: int
    baseline: float | None
    baseline_period: int | None
    target: float
    target_year: int
    latest: Latest | None
    verdict: Verdict
    trend: dict[str, Any] | None
    # display texts (one rounding: datasmart.indicators.rounding)
    baseline_text: str = ""
    target_text: str = ""
    value_text: str = ""
    ci_text: str = ""
    expected_text: str = ""
    trend_text: str = ""
    change: str = ""

    @property
    def judgement(self) -> str:
        return str(self.verdict.judgement)

    def snapshot(self) -> dict[str, Any]:
        """What a recorded follow-up keeps of this row (JSON)."""
        latest = asdict(self.latest) if self.latest else None
        return {
            "key": self.key,
            "goal": self.goal_text,
            "code": self.code,
            "unit": self.unit_code,
            "baseline": self.baseline,
            "baseline_period": self.baseline_period,
            "target": self.target,
            "target_year": self.target_year,
            "latest": latest,
            "judgement": self.judgement,
            "reason": self.verdict.reason,
            "trend": (self.trend or {}).get("direction"),
        }


@dataclass
class FollowUpReport:
    """The follow-up of a plan for a year: page, API, CLI, PDF and Excel read this."""

    plan: ActionPlan
    year: int
    made_on: dt.date
    indicators: list[IndicatorFollowUp]
    activities: list[dict[str, Any]]
    activity_counts: list[tuple[str, str, int]]
    overdue: list[dict[str, Any]]
    previous: FollowUp | None
    changes: list[str] = field(default_factory=list)

    @property
    def judgement_counts(self) -> list[tuple[str, str, int]]:
        counts = {j: 0 for j in Judgement}
        for row in self.indicators:
            counts[row.verdict.judgement] += 1
        return [(str(j), str(JUDGEMENT_LABELS[j]), n) for j, n in counts.items()]

    def snapshot(self) -> dict[str, Any]:
        return {
            "format": 1,
            "year": self.year,
            "indicators": [r.snapshot() for r in self.indicators],
            "activities": [
                {"title": a["title"], "status": a["status"], "overdue": a["overdue"]}
                for a in self.activities
            ],
        }

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON (API and CLI)."""
        return {
            "plan": {
                "id": self.plan.pk,
                "title": self.plan.title,
                "owner": self.plan.owner.name,
                "status": self.plan.status,
                "version": self.plan.version,
            },
            "year": self.year,
            "made_on": self.made_on.isoformat(),
            "rule": str(RULE_SV),
            "indicators": [
                {
                    **r.snapshot(),
                    "title": r.title,
                    "kind": r.kind,
                    "direction": r.direction,
                    "unit_name": r.unit_name,
                    "value_rounded": rounded(r.latest.value, r.decimals) if r.latest else None,
                    "lower_rounded": rounded(r.latest.lower, r.decimals) if r.latest else None,
                    "upper_rounded": rounded(r.latest.upper, r.decimals) if r.latest else None,
                    "expected": r.verdict.expected,
                    "judgement_label": r.verdict.label,
                    "reason_label": r.verdict.reason_label,
                    "trend_assessment": (r.trend or {}).get("assessment"),
                    "trend_p_value": (r.trend or {}).get("p_value"),
                }
                for r in self.indicators
            ],
            "activities": [
                {k: v for k, v in a.items() if k not in ("status_label",)} for a in self.activities
            ],
            "activity_counts": {code: n for code, _label, n in self.activity_counts},
            "overdue": [a["title"] for a in self.overdue],
            "previous_follow_up": (
                {
                    "id": self.previous.pk,
                    "year": self.previous.year,
                    "made_at": self.previous.made_at.isoformat(),
                }
                if self.previous
                else None
            ),
            "changes": self.changes,
        }


def _check_year(plan: ActionPlan, year: Any) -> int:
    """The follow-up year: a whole number from the plan's first year to ten years after
    its last (targets may lie up to ten years after a goal's period)."""
    try:
        value = int(str(year).strip())
    except (TypeError, ValueError):
        raise PlanError(_("Fältet år: ange ett årtal, till exempel 2025.")) from None
    if not (plan.start_year <= value <= plan.end_year + 10):
        raise PlanError(
            _("Fältet år: planen gäller %(a)s–%(b)s; ange ett år från %(a)s till %(c)s.")
            % {"a": plan.start_year, "b": plan.end_year, "c": plan.end_year + 10}
        )
    return value


def _latest(indicator_code: str, unit: Unit, year: int) -> Latest | None:
    """The newest stored total result (both sexes, all ages) up to ``year`` (its months
    included), suppressed rows too (they are a reason not to judge)."""
    row = (
        Result.objects.filter(indicator__code=indicator_code, unit=unit, sex="T", age_group="")
        .filter(Q(period__lte=year) | Q(period__gt=9999, period__lte=year * 100 + 12))
        .order_by("-period")
        .values("period", "value", "lower", "upper", "numerator", "status")
        .first()
    )
    return Latest(**row) if row else None


def _trend_text(trend: dict[str, Any] | None) -> str:
    if not trend:
        return _("ej testad")
    labels = {
        "increasing": _("ökande (statistiskt säker)"),
        "decreasing": _("minskande (statistiskt säker)"),
        "no_significant_trend": _("ingen statistiskt säker trend"),
        "not_tested": _("ej testad"),
    }
    text = labels.get(str(trend.get("direction")), _("ej testad"))
    if trend.get("first_period") and trend.get("direction") != "not_tested":
        text += f" ({trend['first_period']}–{trend['last_period']})"
    return text


def indicator_follow_up(
    link: GoalIndicator, year: int, indicator: Indicator | None
) -> IndicatorFollowUp:
    """Judge one goal indicator for ``year`` on the goal owner's unit."""
    goal = link.goal
    unit = goal.owner.unit
    latest = _latest(link.indicator_code, unit, year)
    trend = unit_trend(indicator, unit.code, until=year) if indicator is not None else None
    verdict = judge(
        direction=link.direction,
        baseline=link.baseline_value,
        baseline_period=link.baseline_period,
        target=link.target_value,
        target_year=link.target_year,
        latest=latest,
        trend_direction=str(trend["direction"]) if trend else None,
    )
    d = decimals_for(indicator)
    row = IndicatorFollowUp(
        key=f"{goal.text}\u241f{link.indicator_code}",
        plan_id=goal.plan_id,
        goal_id=goal.pk,
        goal_text=goal.text,
        code=link.indicator_code,
        title=indicator_title(indicator) if indicator is not None else link.indicator_code,
        kind=link.kind,
        kind_label=link.get_kind_display(),
        direction=link.direction,
        direction_label=link.get_direction_display(),
        unit_code=unit.code,
        unit_name=unit.name,
        decimals=d,
        baseline=link.baseline_value,
        baseline_period=link.baseline_period,
        target=link.target_value,
        target_year=link.target_year,
        latest=latest,
        verdict=verdict,
        trend=trend,
    )
    row.baseline_text = format_value(link.baseline_value, d)
    row.target_text = format_value(link.target_value, d)
    if latest is not None:
        row.value_text = format_value(latest.value, d)
        if latest.lower is not None and latest.upper is not None:
            row.ci_text = f"{format_value(latest.lower, d)}–{format_value(latest.upper, d)}"
    row.expected_text = format_value(verdict.expected, d)
    row.trend_text = _trend_text(trend)
    return row


def _activities(plan: ActionPlan, today: dt.date) -> list[dict[str, Any]]:
    out = []
    for a in plan.activities.select_related("owner").order_by("end", "pk"):
        overdue = a.end < today and a.status not in (ActivityStatus.DONE, ActivityStatus.STOPPED)
        out.append(
            {
                "id": a.pk,
                "title": a.title,
                "owner": a.owner.name,
                "status": a.status,
                "status_label": a.get_status_display(),
                "start": a.start.isoformat(),
                "end": a.end.isoformat(),
                "overdue": overdue,
                "budget": float(a.budget) if a.budget is not None else None,
                "cost": float(a.cost) if a.cost is not None else None,
            }
        )
    return out


def _changes(previous: FollowUp | None, report: FollowUpReport) -> list[str]:
    """What changed since ``previous`` (judgements, new values, indicators and activities
    added or gone, activity status), as sentences; also set on each row's ``change``."""
    if previous is None:
        return []
    snap = previous.snapshot or {}
    before = {r.get("key"): r for r in snap.get("indicators", []) if isinstance(r, dict)}
    out: list[str] = []
    for row in report.indicators:
        old = before.pop(row.key, None)
        name = f"{row.code} ({row.goal_text[:60]})"
        if old is None:
            row.change = _("ny sedan förra uppföljningen")
            out.append(_("%(name)s: ny sedan förra uppföljningen.") % {"name": name})
            continue
        parts = []
        if old.get("judgement") != row.judgement:
            try:
                was = str(JUDGEMENT_LABELS[Judgement(str(old.get("judgement")))])
            except ValueError:
                was = str(old.get("judgement"))
            parts.append(
                _("bedömningen ändrad från %(a)s till %(b)s") % {"a": was, "b": row.verdict.label}
            )
        old_latest = old.get("latest") or {}
        new_latest = asdict(row.latest) if row.latest else {}
        if (old_latest.get("period"), old_latest.get("value")) != (
            new_latest.get("period"),
            new_latest.get("value"),
        ):
            if new_latest.get("value") is not None:
                parts.append(
                    _("nytt värde %(v)s (%(p)s)") % {"v": row.value_text, "p": new_latest["period"]}
                )
            else:
                parts.append(_("nytt resultat utan värde"))
        if parts:
            row.change = "; ".join(parts)
            out.append(f"{name}: {row.change}.")
    for old in before.values():
        out.append(
            _("%(code)s (%(goal)s): följs inte längre.")
            % {"code": old.get("code", "?"), "goal": str(old.get("goal", ""))[:60]}
        )
    old_acts = {a.get("title"): a for a in snap.get("activities", []) if isinstance(a, dict)}
    labels = dict(ActivityStatus.choices)
    for a in report.activities:
        old_a = old_acts.get(a["title"])
        if old_a is None:
            out.append(_("Aktivitet %(t)s: ny.") % {"t": a["title"]})
        elif old_a.get("status") != a["status"]:
            out.append(
                _("Aktivitet %(t)s: status ändrad från %(a)s till %(b)s.")
                % {
                    "t": a["title"],
                    "a": labels.get(str(old_a.get("status")), str(old_a.get("status"))),
                    "b": a["status_label"],
                }
            )
    return out


def plan_follow_up(
    plan: ActionPlan,
    year: Any,
    by: Any,
    *,
    today: dt.date | None = None,
    request: HttpRequest | None = None,
) -> FollowUpReport:
    """The follow-up of ``plan`` for ``year`` as ``by`` may read it: every goal indicator
    judged (:func:`judge`) on the newest result up to ``year`` for the goal owner's unit,
    activities by status and overdue (end before ``today``, not done or stopped), and the
    changes since the last recorded follow-up of the plan."""
    rights.require_read(by, plan, request=request)
    year = _check_year(plan, year)
    today = today or timezone.localdate()
    links = list(
        GoalIndicator.objects.filter(goal__plan=plan)
        .select_related("goal__owner__unit")
        .order_by("goal_id", "pk")
    )
    codes = {link.indicator_code for link in links}
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=codes)}
    rows = [indicator_follow_up(link, year, indicators.get(link.indicator_code)) for link in links]
    activities = _activities(plan, today)
    counts = [
        (str(code), str(label), sum(1 for a in activities if a["status"] == code))
        for code, label in ActivityStatus.choices
    ]
    previous = plan.follow_ups.order_by("-made_at", "-pk").first()
    report = FollowUpReport(
        plan=plan,
        year=year,
        made_on=today,
        indicators=rows,
        activities=activities,
        activity_counts=counts,
        overdue=[a for a in activities if a["overdue"]],
        previous=previous,
    )
    report.changes = _changes(previous, report)
    return report


def may_record(by: Any, plan: ActionPlan) -> bool:
    """Whether ``by`` records follow-ups of ``plan``: an editor (coordinator, analyst) of
    the owner or of a party that has not left."""
    if rights.may_edit(by, plan.owner):
        return True
    if isinstance(by, SystemActor) or not getattr(by, "is_authenticated", False):
        return False
    return any(
        rights.may_edit(by, p.organisation)
        for p in plan.parties.filter(left_at__isnull=True).select_related("organisation")
    )


def record_follow_up(
    plan: ActionPlan,
    year: Any,
    *,
    note: str = "",
    by: Any,
    request: HttpRequest | None = None,
) -> FollowUp:
    """Save the follow-up of ``plan`` for ``year`` as it stands now (a snapshot that the
    next follow-up compares with). An editor of the owner or of a party; not for a draft
    (a plan is followed up once agreed); one transaction with an audit event."""
    if not may_record(by, plan):
        rights.require_edit(by, plan.owner, action="record_follow_up", request=request)
    if plan.status == PlanStatus.DRAFT:
        raise PlanError(_("Planen är ett utkast; den följs upp när den har blivit överenskommen."))
    if plan.status == PlanStatus.CLOSED:
        raise PlanError(_("Planen är avslutad; en avslutad plan följs inte upp längre."))
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise PlanError(_("Fältet kommentar får vara högst %(n)s tecken.") % {"n": NOTE_MAX})
    report = plan_follow_up(plan, year, by, request=request)
    with transaction.atomic():
        follow_up = FollowUp.objects.create(
            plan=plan,
            year=report.year,
            made_by=None if isinstance(by, SystemActor) else by,
            made_by_name=str(by.get_username())[:200],
            snapshot=report.snapshot(),
            note=note,
        )
        record_event(
            "plans.follow_up_recorded",
            actor=by,
            organisation=plan.owner,
            target=follow_up,
            detail={
                "plan": plan.pk,
                "year": report.year,
                "judgements": [f"{j}={n}" for j, _l, n in report.judgement_counts],
            },
        )
    return follow_up


def list_follow_ups(
    plan: ActionPlan, by: Any, *, request: HttpRequest | None = None
) -> list[FollowUp]:
    """The recorded follow-ups of ``plan``, newest first (readers of the plan)."""
    rights.require_read(by, plan, request=request)
    return list(plan.follow_ups.order_by("-made_at", "-pk"))


# --- comparison across units -------------------------------------------------------------


@dataclass
class UnitComparison:
    """The same indicator judged in every plan of a län's units that follows it."""

    indicator: Indicator
    lan: Unit
    year: int
    rows: list[IndicatorFollowUp]
    plans: dict[int, ActionPlan]


def compare_units(
    indicator_code: str, lan_code: str, by: Any, *, year: Any = None
) -> UnitComparison:
    """Every goal indicator with ``indicator_code`` in the plans ``by`` may read whose
    owner is the län ``lan_code`` (the region, joint plans) or one of its kommuner, judged
    side by side for ``year`` (default: this year). Only the newest version of each plan;
    closed plans are left out."""
    code = (indicator_code or "").strip()
    if not code:
        raise PlanError(_("Fältet indikator: ange en indikatorkod."))
    indicator = Indicator.objects.filter(code=code).first()
    if indicator is None:
        raise PlanError(_("Fältet indikator: indikatorn %(code)s finns inte.") % {"code": code})
    lan = Unit.objects.filter(code=(lan_code or "").strip(), level=Level.REGION).first()
    if lan is None:
        raise PlanError(_("Fältet län: länet %(code)s finns inte.") % {"code": lan_code})
    if year in (None, ""):
        the_year = timezone.localdate().year
    else:
        try:
            the_year = int(str(year).strip())
        except ValueError:
            raise PlanError(_("Fältet år: ange ett årtal, till exempel 2025.")) from None
        if not 1900 <= the_year <= 2200:
            raise PlanError(_("Fältet år: ange ett år mellan 1900 och 2200."))
    plans = (
        visible_plans(by)
        .filter(Q(owner__unit=lan) | Q(owner__unit__region=lan, owner__unit__level=Level.KOMMUN))
        .exclude(status=PlanStatus.CLOSED)
        .filter(next_version__isnull=True)
    )
    plan_map = {p.pk: p for p in plans}
    links = (
        GoalIndicator.objects.filter(indicator_code=code, goal__plan_id__in=list(plan_map))
        .select_related("goal__owner__unit", "goal__plan")
        .order_by("goal__owner__unit__code", "goal__plan_id", "pk")
    )
    rows = [indicator_follow_up(link, the_year, indicator) for link in links]
    return UnitComparison(indicator=indicator, lan=lan, year=the_year, rows=rows, plans=plan_map)


def get_readable_plan(plan_id: int, by: Any, *, request: HttpRequest | None = None) -> ActionPlan:
    """:func:`~.services.get_plan`, re-exported for the follow-up views, API and CLI."""
    return get_plan(plan_id, by, request=request)
