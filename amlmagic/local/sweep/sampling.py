"""Samplers of a sweep: random (rule random or sobol), grid, bayesian (optuna TPE, ask/tell).

    sampler = make_sampler(spec)                   # spec: the sweep YAML dict
    params = sampler.next_params()                 # {"lr": 0.003, "batch": 64}, None when exhausted
    sampler.tell(0, 0.91, "completed")             # trial 0 = the first next_params(); or pass params
    saved = sampler.state()                        # JSON-able; persist it with the sweep
    sampler = make_sampler(spec, state=saved)      # after a controller restart: same sequence on

Persistence is by serialization: `state()` is a small JSON-able dict and
`make_sampler(spec, state)` continues exactly where the saved sampler was. For random and grid
the state is only {"seed", "sampled"}: with a seed in the spec, (spec, number already sampled)
is enough. Bayesian's state also lists each trial's params and told outcome, because TPE's
next proposal depends on them.

Determinism: random draws trial k's units from an RNG seeded with (seed, k); sobol
fast-forwards a scrambled sobol sequence (scipy.stats.qmc, seeded) to k; grid decodes k as a
mixed-radix number (itertools.product order: the last parameter changes fastest); bayesian asks
a TPE sampler seeded with (seed, k) over the study as it stands (so the same history gives the
same proposal in any process). Without a seed, one is drawn once and kept in `state()`.

`tell(trial, value, state)`: trial is the index of the `next_params()` call (0-based) or the
params dict it returned; state is completed, failed or canceled (Azure's capitalised statuses
work too). Random and grid ignore it. Bayesian tells optuna: completed with a finite value ->
COMPLETE; completed without one or failed -> FAIL (TPE ignores it); canceled -> PRUNED (TPE
ranks it with the worst). A second tell for the same trial is ignored.

Values are plain Python types (see search_space); bayesian's quniform is proposed continuous
and quantized on the way out.

For the controller: save `state()` after every next_params() and tell() (bayesian's changes on
both); tell bayesian the trial's final primary metric value; random never runs out (stop at
max_total_trials), grid returns None after its last combination. Sobol needs scipy.
"""

from __future__ import annotations

import copy
import hashlib
import math
import random
import secrets
from typing import Any, Mapping

from amlmagic.errors import ValidationError
from amlmagic.local.sweep.policies import parse_goal
from amlmagic.local.sweep.search_space import Distribution, SubSpace, leaves, materialize, parse_search_space, quantize

__all__ = [
    "ALGORITHMS",
    "ALLOWED_DISTRIBUTIONS",
    "Sampler",
    "RandomSampler",
    "GridSampler",
    "BayesianSampler",
    "make_sampler",
    "parse_sampling_algorithm",
    "check_space_for",
    "grid_size",
]

ALGORITHMS: dict[str, tuple[str, ...]] = {  # fields each algorithm takes besides type
    "random": ("seed", "rule", "logbase"),
    "grid": (),
    "bayesian": ("seed",),  # seed: our extension, the SDK has none for bayesian
}
ALLOWED_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "grid": ("choice",),
    "bayesian": ("choice", "uniform", "quniform"),
}


def parse_sampling_algorithm(value: Any) -> dict[str, Any]:
    """Normalize `sampling_algorithm` ("random" or {type: random, seed: 3, rule: sobol}) to a dict."""
    where = "sampling_algorithm"
    spec = {"type": value} if isinstance(value, str) else value
    if value is None:
        spec = {"type": "random"}  # the SDK's default
    if not isinstance(spec, Mapping) or "type" not in spec:
        raise ValidationError(f"{where}: use random, grid or bayesian (or a mapping with a type)")
    kind = str(spec["type"]).lower()
    if kind not in ALGORITHMS:
        raise ValidationError(f"{where}: unknown type {spec['type']!r}; use random, grid or bayesian")
    for key in spec:
        if key != "type" and key not in ALGORITHMS[kind]:
            raise ValidationError(f"{where}: {kind} has no field {key!r}")
    out: dict[str, Any] = {"type": kind}
    seed = spec.get("seed")
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValidationError(f"{where}.seed: needs a whole number >= 0, got {seed!r}")
        out["seed"] = seed
    if kind == "random":
        rule = str(spec.get("rule") or "random").lower()
        if rule not in ("random", "sobol"):
            raise ValidationError(f"{where}.rule: must be random or sobol, got {spec.get('rule')!r}")
        out["rule"] = rule
        if spec.get("logbase") not in (None, "e") and not (
            isinstance(spec.get("logbase"), (int, float)) and math.isclose(spec["logbase"], math.e)
        ):
            raise ValidationError(f"{where}.logbase: only e is supported locally, got {spec['logbase']!r}")
    return out


def check_space_for(algorithm: str, space: Mapping[str, Distribution]) -> None:
    """Grid takes only choice, bayesian only choice/uniform/quniform; neither takes nested choices."""
    allowed = ALLOWED_DISTRIBUTIONS.get(algorithm)
    if allowed is None:
        return
    for dist in leaves(space):
        if dist.kind not in allowed:
            raise ValidationError(f"{dist.where}: {algorithm} sampling supports only {', '.join(allowed)}, "
                                  f"not {dist.kind}; use random sampling or change the parameter")
        if dist.kind == "choice" and any(isinstance(v, SubSpace) for v in dist.args["values"]):
            raise ValidationError(f"{dist.where}: {algorithm} sampling over nested search spaces is not "
                                  f"supported locally; use random sampling")


def grid_size(space: Mapping[str, Distribution]) -> int:
    return math.prod(len(d.args["values"]) for d in space.values())


def _derived_seed(seed: int, k: int) -> int:
    digest = hashlib.sha256(f"amlmagic-sweep:{seed}:{k}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


class Sampler:
    algorithm = ""

    def __init__(self, space: dict[str, Distribution], seed: int, sampled: int = 0):
        self.space = space
        self.seed = seed
        self.sampled = sampled

    def next_params(self) -> dict[str, Any] | None:
        raise NotImplementedError

    def tell(self, trial: int | Mapping[str, Any], value: float | None, state: str = "completed") -> None:
        _trial_state(state)  # random and grid learn nothing, but reject a bad state all the same

    def state(self) -> dict[str, Any]:
        return {"algorithm": self.algorithm, "seed": self.seed, "sampled": self.sampled}


class RandomSampler(Sampler):
    algorithm = "random"

    def __init__(self, space, seed, sampled=0, rule="random"):
        super().__init__(space, seed, sampled)
        self.rule = rule
        self._sobol = None
        if rule == "sobol":
            try:
                from scipy.stats import qmc
            except ImportError:
                raise ValidationError("sampling_algorithm.rule: sobol needs scipy; pip install scipy, or use rule: random") from None
            self._sobol = qmc.Sobol(len(leaves(space)), scramble=True, seed=seed)
            if sampled:
                self._sobol.fast_forward(sampled)

    def next_params(self):
        if self._sobol is not None:
            units = iter(float(u) for u in self._sobol.random(1)[0])
            next_unit = units.__next__
        else:
            next_unit = random.Random(_derived_seed(self.seed, self.sampled)).random
        self.sampled += 1
        return materialize(self.space, next_unit)


class GridSampler(Sampler):
    algorithm = "grid"

    def next_params(self):
        if self.sampled >= grid_size(self.space):
            return None
        k, params = self.sampled, {}
        for name, dist in reversed(list(self.space.items())):
            values = dist.args["values"]
            k, index = divmod(k, len(values))
            params[name] = copy.deepcopy(values[index])
        self.sampled += 1
        return {name: params[name] for name in self.space}


def _trial_state(state: str) -> str:
    text = str(state).lower()
    text = {"cancelled": "canceled", "cancelrequested": "canceled", "notresponding": "failed"}.get(text, text)
    if text not in ("completed", "failed", "canceled"):
        raise ValueError(f"trial state must be completed, failed or canceled, got {state!r}")
    return text


class BayesianSampler(Sampler):
    """TPE through optuna's ask/tell; `trials` keeps what `state()` needs to rebuild the study."""

    algorithm = "bayesian"

    def __init__(self, space, seed, goal, trials=()):
        super().__init__(space, seed, 0)
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self._optuna = optuna
        self.goal = goal
        self._distributions = {name: self._optuna_distribution(d) for name, d in space.items()}
        self._study = optuna.create_study(direction=goal)
        self.trials: list[dict[str, Any]] = []
        for saved in trials:
            created = optuna.trial.create_trial(
                params=saved["internal"], distributions=self._distributions,
                state=optuna.trial.TrialState.RUNNING)
            self._study.add_trial(created)
            self._record(saved["internal"])
            if saved.get("state"):
                self.tell(self.sampled - 1, saved.get("value"), saved["state"])

    def _optuna_distribution(self, dist: Distribution):
        from optuna.distributions import CategoricalDistribution, FloatDistribution

        if dist.kind == "choice":  # by index: choice values may be anything, optuna's must be scalars
            return CategoricalDistribution(list(range(len(dist.args["values"]))))
        return FloatDistribution(dist.args["min_value"], dist.args["max_value"])

    def _record(self, internal: dict[str, Any]) -> dict[str, Any]:
        params = {}
        for name, dist in self.space.items():
            x = internal[name]
            if dist.kind == "choice":
                params[name] = copy.deepcopy(dist.args["values"][int(x)])
            elif dist.kind == "quniform":
                params[name] = quantize(x, dist.args["q"])
            else:
                params[name] = float(x)
        self.trials.append({"internal": dict(internal), "params": params, "state": None, "value": None})
        self.sampled += 1
        return params

    def next_params(self):
        # A sampler seeded with (seed, k) per proposal: the proposal depends only on the study's
        # history, which a restored sampler rebuilds exactly.
        self._study.sampler = self._optuna.samplers.TPESampler(seed=_derived_seed(self.seed, self.sampled))
        trial = self._study.ask(self._distributions)
        return copy.deepcopy(self._record(trial.params))

    def tell(self, trial, value, state="completed"):
        state = _trial_state(state)
        index = trial if isinstance(trial, int) else self._find(trial)
        if not 0 <= index < len(self.trials):
            raise ValueError(f"no trial {trial!r}: {len(self.trials)} sampled so far")
        record = self.trials[index]
        if record["state"] is not None:
            return
        TrialState = self._optuna.trial.TrialState
        finite = value is not None and not isinstance(value, bool) and math.isfinite(float(value))
        if state == "completed" and finite:
            self._study.tell(index, float(value))
        elif state == "canceled":
            self._study.tell(index, state=TrialState.PRUNED)
        else:
            self._study.tell(index, state=TrialState.FAIL)
        record["state"], record["value"] = state, float(value) if finite else None

    def _find(self, params: Mapping[str, Any]) -> int:
        for index, record in enumerate(self.trials):
            if record["state"] is None and record["params"] == dict(params):
                return index
        raise ValueError("no untold trial has these params")

    def state(self):
        return {"algorithm": self.algorithm, "seed": self.seed, "sampled": self.sampled,
                "trials": [dict(t) for t in self.trials]}


def make_sampler(spec: Mapping[str, Any], state: Mapping[str, Any] | None = None) -> Sampler:
    """The sampler for a sweep spec, fresh or continued from a saved `state()`."""
    space = parse_search_space(spec.get("search_space"))
    algorithm = parse_sampling_algorithm(spec.get("sampling_algorithm"))
    kind = algorithm["type"]
    check_space_for(kind, space)
    if state is not None and state.get("algorithm") != kind:
        raise ValueError(f"saved sampler state is for {state.get('algorithm')!r}, the spec says {kind!r}")
    seed = state["seed"] if state else algorithm.get("seed", secrets.randbelow(2**31))
    sampled = int(state["sampled"]) if state else 0
    if kind == "random":
        return RandomSampler(space, seed, sampled, algorithm["rule"])
    if kind == "grid":
        return GridSampler(space, seed, sampled)
    goal = parse_goal((spec.get("objective") or {}).get("goal"))
    return BayesianSampler(space, seed, goal, (state or {}).get("trials", ()))
