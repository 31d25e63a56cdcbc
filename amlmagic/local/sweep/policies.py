"""Early-termination policies of a sweep: bandit, median stopping, truncation selection.

    policy = make_policy({"type": "bandit", "slack_factor": 0.2, "evaluation_interval": 1})
    for t in policy.evaluate({"t1": TrialProgress([0.5, 0.8], finished=False), ...}, "maximize"):
        cancel(t.trial, reason=t.detail)        # record t.policy, t.interval, t.numbers too

Rules (../shared/azureml-semantics.md, "Sweep jobs"), implemented here and nowhere else:
- The k-th value a trial logged for the primary metric is interval k. A policy applies at
  interval N when N is a multiple of `evaluation_interval` and N >= `delay_evaluation`.
  `evaluation_interval` 0 (the SDK's default) counts as 1 (our rule, `effective_interval`).
- A running trial is judged at its latest applicable interval N (the largest such N <= the
  number of values it logged), against every trial's values cut at N (our rule: the controller
  calls `evaluate` whenever new values arrive, so the latest interval is the one at hand).
- Bandit: trial_best(N) against the best value any trial (running, finished or terminated)
  reached up to N; maximize cancels when trial_best < best / (1 + slack_factor) or
  trial_best < best - slack_amount; minimize mirrors it (our rule). The trial holding the best
  value is never cancelled (our rule: with negative metrics the slack_factor formula would).
- Median stopping: trial_best(N) worse than the median of the running averages (mean of
  values 1..N) of every trial that reached N, the candidate included (our rule).
- Truncation selection: rank the trials that reached N by their value at N; finished trials are
  ranked unless `exclude_finished_jobs`; cut = floor(count * percentage / 100) (our rule); a
  trial is cut when fewer than `cut` other ranked trials are at or below its value (ties go in
  the candidate's favour, our rule).

Only trials with `finished=False` are ever reported. A policy object reports each trial at most
once (it remembers what it reported in `policy.reported`), so calling `evaluate` again before
the cancel has landed is harmless; after a controller restart, pass terminated trials as
finished (they are: Canceled).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import median
from typing import Any, Mapping

from amlmagic.errors import ValidationError

__all__ = [
    "GOALS",
    "POLICY_FIELDS",
    "TrialProgress",
    "Termination",
    "Policy",
    "BanditPolicy",
    "MedianStoppingPolicy",
    "TruncationSelectionPolicy",
    "make_policy",
    "parse_goal",
    "policy_type",
    "effective_interval",
]

GOALS = ("maximize", "minimize")

# Fields each policy type accepts besides `type` (the CLI v2 sweepJob schema).
POLICY_FIELDS: dict[str, tuple[str, ...]] = {
    "bandit": ("evaluation_interval", "delay_evaluation", "slack_factor", "slack_amount"),
    "median_stopping": ("evaluation_interval", "delay_evaluation"),
    "truncation_selection": ("evaluation_interval", "delay_evaluation", "truncation_percentage", "exclude_finished_jobs"),
}


@dataclass(frozen=True)
class TrialProgress:
    """The primary metric values a trial logged so far, in order, and whether it has ended."""

    values: list[float]
    finished: bool = False


@dataclass(frozen=True)
class Termination:
    """A trial to cancel: which policy, at which interval, why (one line), and the numbers."""

    trial: str
    policy: str
    interval: int
    detail: str
    numbers: dict[str, Any] = field(default_factory=dict)


def parse_goal(goal: Any, where: str = "objective.goal") -> str:
    text = str(goal).strip().lower() if goal is not None else ""
    if text not in GOALS:
        raise ValidationError(f"{where}: must be maximize or minimize, got {goal!r}")
    return text


def policy_type(value: Any, where: str = "early_termination.type") -> str:
    """'bandit', 'median_stopping' or 'truncation_selection' (the SDK also accepts camel case)."""
    squashed = str(value).replace("_", "").replace("-", "").lower()
    for name in POLICY_FIELDS:
        if name.replace("_", "") == squashed:
            return name
    raise ValidationError(f"{where}: unknown policy {value!r}; use bandit, median_stopping or truncation_selection")


def effective_interval(evaluation_interval: Any) -> int:
    """Our rule: evaluation_interval 0 or missing counts as 1 (the YAML default)."""
    return int(evaluation_interval or 0) or 1


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _best(values: list[float], goal: str) -> float:
    return max(values) if goal == "maximize" else min(values)


def _clean(values: list[float], goal: str) -> list[float]:
    """A NaN value counts as the worst possible value (our rule), so it never wins a comparison."""
    worst = -math.inf if goal == "maximize" else math.inf
    return [worst if math.isnan(v) else float(v) for v in values]


class Policy:
    """Base: picks the interval to judge each running trial at; subclasses judge."""

    name = ""

    def __init__(self, evaluation_interval: int = 1, delay_evaluation: int = 0):
        self.evaluation_interval = effective_interval(evaluation_interval)
        self.delay_evaluation = int(delay_evaluation or 0)
        self.reported: set[str] = set()

    def interval_for(self, count: int) -> int | None:
        """The latest interval N <= count at which the policy applies, or None."""
        n = count - count % self.evaluation_interval
        return n if n >= 1 and n >= self.delay_evaluation else None

    def evaluate(self, trials: Mapping[str, TrialProgress], goal: str) -> list[Termination]:
        goal = parse_goal(goal, "goal")
        values = {tid: _clean(list(p.values), goal) for tid, p in trials.items()}
        found = []
        for tid, progress in trials.items():
            if progress.finished or tid in self.reported:
                continue
            n = self.interval_for(len(values[tid]))
            if n is None:
                continue
            termination = self.judge(tid, n, values, trials, goal)
            if termination is not None:
                self.reported.add(tid)
                found.append(termination)
        return found

    def judge(self, trial: str, n: int, values: dict[str, list[float]],
              trials: Mapping[str, TrialProgress], goal: str) -> Termination | None:
        raise NotImplementedError


class BanditPolicy(Policy):
    name = "bandit"

    def __init__(self, slack_factor: float | None = None, slack_amount: float | None = None, **common: Any):
        super().__init__(**common)
        if (slack_factor is None) == (slack_amount is None):
            raise ValidationError("early_termination: bandit needs exactly one of slack_factor or slack_amount")
        self.slack_factor = slack_factor
        self.slack_amount = slack_amount

    def judge(self, trial, n, values, trials, goal):
        mine = _best(values[trial][:n], goal)
        best = _best([_best(v[:n], goal) for v in values.values() if v], goal)
        better = ">" if goal == "minimize" else "<"
        if self.slack_factor is not None:
            sf = self.slack_factor
            bound = best * (1 + sf) if goal == "minimize" else best / (1 + sf)
            formula = f"{_fmt(best)} {'*' if goal == 'minimize' else '/'} (1 + {_fmt(sf)})"
            numbers = {"trial_best": mine, "best": best, "slack_factor": sf, "threshold": bound}
        else:
            sa = self.slack_amount
            bound = best + sa if goal == "minimize" else best - sa
            formula = f"{_fmt(best)} {'+' if goal == 'minimize' else '-'} {_fmt(sa)}"
            numbers = {"trial_best": mine, "best": best, "slack_amount": sa, "threshold": bound}
        # Our rule: the trial holding the best value is never cancelled. With a negative best,
        # best / (1 + slack_factor) lies above best and the formula alone would cancel the leader.
        cancel = mine != best and (mine > bound if goal == "minimize" else mine < bound)
        if not cancel:
            return None
        detail = f"bandit: best {_fmt(mine)} at interval {n} {better} {formula} = {_fmt(bound)}"
        return Termination(trial, self.name, n, detail, numbers)


class MedianStoppingPolicy(Policy):
    name = "median_stopping"

    def judge(self, trial, n, values, trials, goal):
        averages = [sum(v[:n]) / n for v in values.values() if len(v) >= n]
        middle = median(averages)
        mine = _best(values[trial][:n], goal)
        cancel = mine > middle if goal == "minimize" else mine < middle
        if not cancel:
            return None
        worse = ">" if goal == "minimize" else "<"
        detail = (f"median_stopping: best {_fmt(mine)} at interval {n} {worse} median {_fmt(middle)} "
                  f"of the running averages of {len(averages)} trials")
        return Termination(trial, self.name, n, detail,
                           {"trial_best": mine, "median": middle, "trials_compared": len(averages)})


class TruncationSelectionPolicy(Policy):
    name = "truncation_selection"

    def __init__(self, truncation_percentage: int = 0, exclude_finished_jobs: bool = False, **common: Any):
        super().__init__(**common)
        if not 1 <= truncation_percentage <= 99:
            raise ValidationError(f"early_termination.truncation_percentage: must be 1..99, got {truncation_percentage!r}")
        self.truncation_percentage = int(truncation_percentage)
        self.exclude_finished_jobs = bool(exclude_finished_jobs)

    def judge(self, trial, n, values, trials, goal):
        ranked = {tid: v[n - 1] for tid, v in values.items()
                  if len(v) >= n and (tid == trial or not (self.exclude_finished_jobs and trials[tid].finished))}
        cut = len(ranked) * self.truncation_percentage // 100  # our rule: floor
        mine = ranked[trial]
        if goal == "maximize":
            not_better = sum(1 for tid, v in ranked.items() if tid != trial and v <= mine)
        else:
            not_better = sum(1 for tid, v in ranked.items() if tid != trial and v >= mine)
        if not_better >= cut:
            return None
        detail = (f"truncation_selection: value {_fmt(mine)} at interval {n} is in the lowest "
                  f"{self.truncation_percentage}% of {len(ranked)} trials ({cut} cut, "
                  f"{not_better} ranked at or below it)")
        return Termination(trial, self.name, n, detail,
                           {"value": mine, "ranked": len(ranked), "cut": cut,
                            "truncation_percentage": self.truncation_percentage})


def make_policy(early_termination: Mapping[str, Any] | None) -> Policy | None:
    """The policy for a sweep's `early_termination` dict (None: no early termination)."""
    if not early_termination:
        return None
    if not isinstance(early_termination, Mapping):
        raise ValidationError("early_termination: must be a mapping with a type, e.g. {type: bandit, slack_factor: 0.1}")
    kind = policy_type(early_termination.get("type"))
    fields = POLICY_FIELDS[kind]
    for key in early_termination:
        if key != "type" and key not in fields:
            raise ValidationError(f"early_termination: {kind} has no field {key!r} (it takes {', '.join(fields)})")
    where = "early_termination"
    common = {
        "evaluation_interval": _int(early_termination.get("evaluation_interval"), f"{where}.evaluation_interval", 0),
        "delay_evaluation": _int(early_termination.get("delay_evaluation"), f"{where}.delay_evaluation", 0),
    }
    if kind == "bandit":
        slack = {key: _float(early_termination.get(key), f"{where}.{key}") for key in ("slack_factor", "slack_amount")}
        return BanditPolicy(**slack, **common)
    if kind == "median_stopping":
        return MedianStoppingPolicy(**common)
    percentage = early_termination.get("truncation_percentage")
    if percentage is None:
        raise ValidationError(f"{where}.truncation_percentage: truncation_selection needs it (1..99)")
    exclude = early_termination.get("exclude_finished_jobs", False)
    if not isinstance(exclude, bool):
        raise ValidationError(f"{where}.exclude_finished_jobs: must be true or false, got {exclude!r}")
    if isinstance(percentage, bool) or not isinstance(percentage, int) or not 1 <= percentage <= 99:
        raise ValidationError(f"{where}.truncation_percentage: must be a whole number 1..99, got {percentage!r}")
    return TruncationSelectionPolicy(percentage, exclude, **common)


def _int(value: Any, where: str, minimum: int) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) and not (isinstance(value, float) and value.is_integer()):
        raise ValidationError(f"{where}: needs a whole number, got {value!r}")
    if value < minimum:
        raise ValidationError(f"{where}: must be at least {minimum}, got {value!r}")
    return int(value)


def _float(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValidationError(f"{where}: needs a number >= 0, got {value!r}")
    return float(value)
