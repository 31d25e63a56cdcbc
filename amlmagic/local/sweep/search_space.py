"""A sweep's search space: parse the CLI v2 YAML dicts and turn unit numbers into values.

    space = parse_search_space({"lr": {"type": "loguniform", "min_value": -6, "max_value": -1},
                                "batch": {"type": "choice", "values": [32, 64]}})
    params = materialize(space, iter([0.5, 0.9]).__next__)   # {"lr": 0.0302, "batch": 64}

Every distribution is sampled through its inverse CDF: `Distribution.from_unit(u)` maps a number
u in [0, 1) to a value, so random sampling (u from a seeded RNG) and sobol sampling (u from a
quasi-random sequence) share one definition. Azure's definitions (../shared/azureml-semantics.md,
"Sweep jobs"): loguniform's bounds are exponents, randint's upper bound is exclusive, the q-forms
are round(x / q) * q.

Values come out as plain Python types: int for randint, the given value for choice (a copy), a
float for every other distribution.

Nesting: a choice value may be a dict whose entries are themselves distributions (Azure's choice
over sub-spaces); it samples to a dict of plain values. `leaves(space)` lists every distribution
in a fixed depth-first order: `materialize` consumes one unit per leaf, chosen branch or not, so
leaf k always reads unit k (a fixed dimension for sobol).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import NormalDist
from typing import Any, Callable, Mapping

from amlmagic.errors import ValidationError

__all__ = [
    "DISTRIBUTION_FIELDS",
    "Distribution",
    "SubSpace",
    "parse_search_space",
    "parse_distribution",
    "leaves",
    "materialize",
    "quantize",
]

# Required fields of each type (the CLI v2 sweepJob schema); any other field is an error.
DISTRIBUTION_FIELDS: dict[str, tuple[str, ...]] = {
    "choice": ("values",),
    "randint": ("upper",),
    "uniform": ("min_value", "max_value"),
    "loguniform": ("min_value", "max_value"),
    "quniform": ("min_value", "max_value", "q"),
    "qloguniform": ("min_value", "max_value", "q"),
    "normal": ("mu", "sigma"),
    "lognormal": ("mu", "sigma"),
    "qnormal": ("mu", "sigma", "q"),
    "qlognormal": ("mu", "sigma", "q"),
}

_MAX_EXPONENT = 709.0  # exp(709.8) is the largest float
_UNIT_EPSILON = 1e-12  # keeps the normal inverse CDF finite at u = 0
_NORMAL_REACH = 7.1  # |inv_cdf(1e-12)| ~ 7.03 standard deviations


@dataclass(frozen=True)
class SubSpace:
    """A choice value that is a dict with distributions inside (entries: Distribution or plain)."""

    entries: dict[str, Any]


@dataclass(frozen=True)
class Distribution:
    """One parameter's distribution. `where` is its path for messages ("search_space.lr")."""

    where: str
    kind: str
    args: dict[str, Any] = field(default_factory=dict)

    def from_unit(self, u: float) -> Any:
        """The value at quantile u in [0, 1) (for choice: the chosen value, unresolved)."""
        a, kind = self.args, self.kind
        if kind == "choice":
            return a["values"][_index(u, len(a["values"]))]
        if kind == "randint":
            return _index(u, a["upper"])
        if kind in ("uniform", "loguniform", "quniform", "qloguniform"):
            x = a["min_value"] + u * (a["max_value"] - a["min_value"])
        else:
            x = NormalDist(a["mu"], a["sigma"]).inv_cdf(min(max(u, _UNIT_EPSILON), 1 - _UNIT_EPSILON))
        if kind in ("loguniform", "qloguniform", "lognormal", "qlognormal"):
            x = math.exp(x)
        if kind.startswith("q"):
            return quantize(x, a["q"])
        return float(x)


def _index(u: float, count: int) -> int:
    return min(int(u * count), count - 1)


def quantize(x: float, q: float) -> float:
    """round(x / q) * q, computed in decimal so that q = 0.1 gives 0.3 and not 0.30000000000000004."""
    steps = round(x / q)
    return float(Decimal(steps) * Decimal(repr(q)))


def parse_search_space(search_space: Any, where: str = "search_space") -> dict[str, Distribution]:
    """Validate a `search_space` mapping; raise a one-line ValidationError naming the field."""
    if not isinstance(search_space, Mapping) or not search_space:
        raise ValidationError(f"{where}: give at least one parameter, e.g. lr: {{type: uniform, min_value: 0.01, max_value: 0.1}}")
    space = {}
    for name, spec in search_space.items():
        if not isinstance(name, str) or not name:
            raise ValidationError(f"{where}: parameter names must be non-empty strings, got {name!r}")
        space[name] = parse_distribution(spec, f"{where}.{name}")
    return space


def parse_distribution(spec: Any, where: str) -> Distribution:
    if not isinstance(spec, Mapping) or "type" not in spec:
        raise ValidationError(f"{where}: needs a mapping with a type (one of {', '.join(DISTRIBUTION_FIELDS)})")
    kind = str(spec["type"]).lower()
    if kind not in DISTRIBUTION_FIELDS:
        raise ValidationError(f"{where}: unknown type {spec['type']!r}; use one of {', '.join(DISTRIBUTION_FIELDS)}")
    fields = DISTRIBUTION_FIELDS[kind]
    for key in spec:
        if key != "type" and key not in fields:
            raise ValidationError(f"{where}: {kind} has no field {key!r} (it takes {', '.join(fields)})")
    for key in fields:
        if spec.get(key) is None:
            raise ValidationError(f"{where}: {kind} needs {key}")
    if kind == "choice":
        return Distribution(where, kind, {"values": _parse_choice_values(spec["values"], where)})
    if kind == "randint":
        upper = _number(spec["upper"], f"{where}.upper")
        if upper != int(upper) or upper < 1:
            raise ValidationError(f"{where}: randint needs an integer upper >= 1 (values are 0..upper-1), got {spec['upper']!r}")
        return Distribution(where, kind, {"upper": int(upper)})
    args = {key: _number(spec[key], f"{where}.{key}") for key in fields}
    if "min_value" in args and not args["min_value"] < args["max_value"]:
        raise ValidationError(f"{where}: {kind} needs min_value < max_value, got {args['min_value']:g} and {args['max_value']:g}")
    if "sigma" in args and not args["sigma"] > 0:
        raise ValidationError(f"{where}: {kind} needs sigma > 0, got {args['sigma']:g}")
    if "q" in args and not args["q"] > 0:
        raise ValidationError(f"{where}: {kind} needs q > 0, got {args['q']:g}")
    if kind in ("loguniform", "qloguniform") and args["max_value"] > _MAX_EXPONENT:
        raise ValidationError(f"{where}: {kind} bounds are exponents (value = exp(x)); max_value {args['max_value']:g} overflows, use at most {_MAX_EXPONENT:g}")
    if kind in ("lognormal", "qlognormal") and args["mu"] + _NORMAL_REACH * args["sigma"] > _MAX_EXPONENT:
        raise ValidationError(f"{where}: {kind} is exp(normal(mu, sigma)); mu + 7 sigma must stay below {_MAX_EXPONENT:g} or exp overflows")
    return Distribution(where, kind, args)


def _parse_choice_values(values: Any, where: str) -> list[Any]:
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)) or not values:
        raise ValidationError(f"{where}: choice needs values as a non-empty list, e.g. values: [32, 64]")
    parsed = []
    for i, value in enumerate(values):
        if isinstance(value, Mapping) and any(_is_distribution(v) for v in value.values()):
            entries = {
                str(k): parse_distribution(v, f"{where}.values[{i}].{k}") if _is_distribution(v) else v
                for k, v in value.items()
            }
            parsed.append(SubSpace(entries))
        else:
            parsed.append(value)
    return parsed


def _is_distribution(value: Any) -> bool:
    return isinstance(value, Mapping) and "type" in value and str(value["type"]).lower() in DISTRIBUTION_FIELDS


def _number(value: Any, where: str) -> float:
    """Numbers may arrive as strings: PyYAML reads `1e-3` (no dot) as a string."""
    if isinstance(value, bool):
        raise ValidationError(f"{where}: needs a number, got {value!r}")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        try:
            number = float(str(value))
        except ValueError:
            raise ValidationError(f"{where}: needs a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValidationError(f"{where}: needs a finite number, got {value!r}")
    return number


def leaves(space: Mapping[str, Distribution]) -> list[Distribution]:
    """Every distribution in the space, nested ones included, in depth-first order."""
    found: list[Distribution] = []

    def walk(dist: Distribution) -> None:
        found.append(dist)
        if dist.kind == "choice":
            for value in dist.args["values"]:
                if isinstance(value, SubSpace):
                    for entry in value.entries.values():
                        if isinstance(entry, Distribution):
                            walk(entry)

    for dist in space.values():
        walk(dist)
    return found


def materialize(space: Mapping[str, Distribution], next_unit: Callable[[], float]) -> dict[str, Any]:
    """Sample every parameter, drawing one unit per leaf in `leaves` order; plain values out."""
    return {name: _sample(dist, next_unit) for name, dist in space.items()}


def _sample(dist: Distribution, next_unit: Callable[[], float]) -> Any:
    value = dist.from_unit(next_unit())
    if dist.kind != "choice":
        return value
    chosen: Any = None
    for option in dist.args["values"]:
        if isinstance(option, SubSpace):
            # Draw units for every branch, so each leaf keeps its own dimension.
            resolved = {
                k: _sample(v, next_unit) if isinstance(v, Distribution) else copy.deepcopy(v)
                for k, v in option.entries.items()
            }
            if option is value:
                chosen = resolved
    return chosen if isinstance(value, SubSpace) else copy.deepcopy(value)
