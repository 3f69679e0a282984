"""Named random streams derived from one master seed.

Every random draw of a run comes from a stream ``Streams(seed).get(*key)``: a PCG64 generator
seeded by ``numpy.random.SeedSequence(seed, spawn_key=key)``. Keys name the purpose (``init``,
``graph``, ``day``/d, ``event``/i, ``decision``/k/d, ``deal``/k/d, ``stations``, ``election``), so adding a draw in one place
never shifts the draws of another, and both engines see the same numbers. Mesa's own
``model.rng`` / ``model.random`` are seeded with the same master seed (the model's code draws
nothing from them). Replicates get independent master seeds from ``replicate_seeds``.
"""

from __future__ import annotations

import numpy as np

from runoff_abm.model.inputs import parse_seed

__all__ = ["Streams", "resolve_seed", "replicate_seeds"]

_PURPOSE = {"init": 1, "graph": 2, "day": 3, "event": 4, "election": 5, "decision": 6, "deal": 7, "stations": 8}


def resolve_seed(seed) -> int:
    """A valid master seed: ``seed`` checked by :func:`~runoff_abm.model.inputs.parse_seed`, or
    fresh entropy when None (recorded in the result, so the run can be repeated)."""
    if seed is None:
        return int(np.random.SeedSequence().entropy) % (2**63)  # type: ignore[arg-type]  # an int here
    return parse_seed(seed)


class Streams:
    """Factory of independent, reproducible generators keyed by purpose."""

    def __init__(self, seed: int):
        self.seed = seed

    def get(self, purpose: str, *index: int) -> np.random.Generator:
        """The generator of stream ``purpose`` (``index`` keys e.g. the day or the event)."""
        key = (_PURPOSE[purpose], *[int(i) for i in index])
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=key)))


def replicate_seeds(master: int, count: int) -> list[int]:
    """``count`` independent master seeds for replicates, from ``SeedSequence(master).spawn``."""
    children = np.random.SeedSequence(resolve_seed(master)).spawn(count)
    return [int(c.generate_state(1, dtype=np.uint64)[0] % (2**63)) for c in children]
