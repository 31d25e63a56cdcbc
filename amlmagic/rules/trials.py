"""The best trial of a sweep, one definition for the controller, the sweep monitor and `job show`."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

__all__ = ["best_trial"]


def best_trial(trials: Sequence[Mapping[str, Any]], goal: str) -> Mapping[str, Any] | None:
    """Our rule: the best among Completed trials with a numeric `score` (an early-terminated or
    timed-out trial never is the best, since it did not finish); ties go to the earlier trial
    (lower `index`, else its place in `trials`). `goal`: maximize | minimize."""
    scored = [(t.get("index", i), t) for i, t in enumerate(trials)
              if t.get("status") == "Completed" and isinstance(t.get("score"), (int, float))]
    if not scored:
        return None
    sign = 1.0 if str(goal).lower() == "minimize" else -1.0
    return min(scored, key=lambda pair: (sign * pair[1]["score"], pair[0]))[1]
