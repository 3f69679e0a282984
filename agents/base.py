"""The common base of the runoff model's Mesa agents.

Mesa 3.3 numbers agents from a class-level ``Agent._ids`` dict keyed by model, which keeps every
model that ever made an agent alive for the life of the process (fixed upstream in Mesa 3.4.2,
where the attribute is gone). Our agents count in a weak-keyed registry instead, so a model is
freed when nothing else refers to it, as on current Mesa. Nothing else differs from
:class:`mesa.Agent`.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Iterable

import mesa

__all__ = ["RunoffAgent", "ordered_sum"]


def ordered_sum(values: Iterable[float]) -> float:
    """The sum of ``values`` added left to right, as Python 3.11's ``sum`` does.

    Python 3.12 made the built-in ``sum`` of floats compensated (Neumaier), which changes the last
    bit of some sums; decisions use this instead so that a seed gives the same bits on every
    supported Python (checked by ``tests/test_package.py`` across interpreters).
    """
    total: float = 0
    for v in values:
        total = total + v
    return total


class _WeakCounters(weakref.WeakKeyDictionary):
    """``model -> itertools.count(1)``, created on first use, dropped with the model."""

    def __getitem__(self, model):
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = itertools.count(1)
            self[model] = counter
            return counter


class RunoffAgent(mesa.Agent):
    """A Mesa agent of the runoff model (members, activists, contractors, candidates)."""

    if hasattr(mesa.Agent, "_ids"):  # Mesa < 3.4.2
        _ids = _WeakCounters()
