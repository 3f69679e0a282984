"""Plug-in decision rules: replace a member's election-day rule with your own function.

A rule is a plain Python function of one member (a :class:`runoff_abm.agents.Member` view: ``leaning``,
``propensity``, ``susceptibility``, ``round1``, ``sector``, ``contractor``, ``neighbours()``,
``index``, ``model``) that returns a probability:

- ``turnout``: the probability that the member votes on election day (replaces
  ``1 - (1 - p)(1 - capacity)`` / ``p``);
- ``choice``: the probability that the member votes for finalist A when voting by its own
  preference (replaces the leaning; bloc members who comply with an active contractor still
  vote as instructed).

Give rules to the model (``RunoffModel(rules={"choice": my_rule})``), on the command line
(``runoff run --rule choice=my_rules.py:my_rule``) or in a scenario (``[rules] choice =
"my_rules.py:my_rule"``, the path relative to the scenario file). Rules are evaluated for every
member, in id order, on election day, identically in both engines. An exception in a rule, or
a value that is not a probability, stops the run with a :class:`RuleError` that names the rule,
the function, the member and the problem.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from runoff_abm.model.errors import RuleError

__all__ = ["RULES", "RuleError", "load_rule", "evaluate"]

RULES = {
    "turnout": "probability that the member votes on election day",
    "choice": "probability that the member votes for finalist A when voting its own preference",
}


def load_rule(name: str, rule: str | Callable, base_dir: str | Path | None = None) -> Callable:
    """Resolve ``rule`` (a callable, ``"path/to/file.py:function"`` or ``"module:function"``)."""
    if name not in RULES:
        raise RuleError(f"rule {name!r}: unknown rule; allowed: {', '.join(RULES)}")
    if callable(rule):
        return rule
    if not isinstance(rule, str) or ":" not in rule:
        raise RuleError(f"rule {name!r}: expected 'file.py:function' or 'module:function', got {rule!r}")
    target, _, func = rule.rpartition(":")
    if target.endswith(".py"):
        path = Path(target)
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        if not path.exists():
            raise RuleError(f"rule {name!r}: file {str(path)!r} not found")
        mod_name = f"runoff_rule_{path.stem}_{abs(hash(str(path.resolve())))}"
        spec = importlib.util.spec_from_file_location(mod_name, path)
        module = importlib.util.module_from_spec(spec)
        try:
            sys.modules[mod_name] = module  # so that pickling (worker processes) can find it
            spec.loader.exec_module(module)
        except Exception as err:
            sys.modules.pop(mod_name, None)
            raise RuleError(f"rule {name!r}: {path} failed to load: {type(err).__name__}: {err}") from None
    else:
        try:
            module = importlib.import_module(target)
        except Exception as err:
            raise RuleError(f"rule {name!r}: cannot import module {target!r}: {type(err).__name__}: {err}") from None
    fn = getattr(module, func, None)
    if not callable(fn):
        raise RuleError(f"rule {name!r}: {target} has no function {func!r}")
    return fn


def _where(fn: Callable) -> str:
    code = getattr(fn, "__code__", None)
    if code is None:
        return getattr(fn, "__name__", repr(fn))
    return f"{fn.__name__} ({code.co_filename}:{code.co_firstlineno})"


def evaluate(name: str, fn: Callable, members) -> np.ndarray:
    """The rule's probability for every member, checked (see the module docstring)."""
    out = np.empty(len(members))
    for i, member in enumerate(members):
        try:
            value = fn(member)
        except Exception as err:
            raise RuleError(f"rule {name!r}: {_where(fn)} raised {type(err).__name__}: {err} "
                            f"(member {i}, round 1: {member.round1}, sector: {member.sector})") from None
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise RuleError(f"rule {name!r}: {_where(fn)} returned {value!r} for member {i}; it must return "
                            f"a probability in [0, 1] ({RULES[name]})") from None
        if math.isnan(value) or not 0.0 <= value <= 1.0:
            raise RuleError(f"rule {name!r}: {_where(fn)} returned {value!r} for member {i}; it must return "
                            f"a probability in [0, 1] ({RULES[name]})")
        out[i] = value
    return out
