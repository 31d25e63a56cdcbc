"""Microsoft's five MLOps maturity levels and which practice belongs to which: the level rules, in
one place (docs/mlops.md, "Maturity report").

Source: Azure Architecture Center, "Machine Learning operations maturity model"
(learn.microsoft.com/azure/architecture/ai-ml/guide/mlops-maturity-model). Our rule: a level is
achieved when every practice of that level and of the levels below it is present; level 0 needs
nothing. Where a practice sits follows the model's "Technology" column:
- 1, DevOps but no MLOps ("automated builds", "version control for code"): data and environments
  defined as versioned assets that jobs name, rather than files and packages on one machine;
- 2, Automated training ("automated model training", "centralized tracking of model training
  performance", "model management", "Azure ML scheduled or event-driven jobs for recurring
  training", "managed environments"): tracked metrics, models registered from job outputs,
  pipelines with reuse, schedules;
- 3, Automated model deployment ("release managed by a CI/CD pipeline", "integrated A/B testing
  of model performance for deployment", "full traceability from deployment back to original
  data"): a CI/CD workflow over exported YAML, staged rollout, deployments traced to their job;
- 4, Full MLOps automated operations ("verbose, centralized metrics from deployed model",
  retraining driven by production metrics): data collection on deployments.
"""

from __future__ import annotations

from typing import Iterable

__all__ = ["LEVELS", "PRACTICE_LEVELS", "achieved_level", "level_name"]

# level -> (name, what it means, after the model's "Highlights")
LEVELS: dict[int, tuple[str, str]] = {
    0: ("No MLOps", "manual training and releases; little feedback from production"),
    1: ("DevOps but no MLOps", "code, data and environments versioned; builds automated; models still hand-made"),
    2: ("Automated training", "training is managed, tracked and reproducible; models managed; releases manual"),
    3: ("Automated model deployment", "releases through CI/CD with a sign-off; traceable from deployment to data"),
    4: ("Full MLOps automated operations", "production data flows back; retraining and monitoring automated"),
}

# practice id -> level; the practices' checks live in practices.py, one function each.
PRACTICE_LEVELS: dict[str, int] = {
    "versioned-data": 1,
    "environments-as-code": 1,
    "tracked-metrics": 2,
    "models-from-jobs": 2,
    "pipelines-and-reuse": 2,
    "schedules": 2,
    "ci-workflow": 3,
    "staged-rollout": 3,
    "traceable-deployments": 3,
    "data-collection": 4,
}


def level_name(level: int) -> str:
    return LEVELS[level][0]


def achieved_level(present: Iterable[str]) -> int:
    """The highest level whose practices, and those of every level below, are all present."""
    present = set(present)
    achieved = 0
    for level in sorted(lvl for lvl in LEVELS if lvl > 0):
        if not all(p in present for p, lvl in PRACTICE_LEVELS.items() if lvl == level):
            break
        achieved = level
    return achieved
