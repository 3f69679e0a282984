"""A run function for sweep tests that fails on purpose for some runs (importable by workers)."""

from __future__ import annotations

from runoff_abm.model.api import run as model_run


def flaky_run(scenario, *, seed, members=None, **params):
    """Like runoff_abm.run, but raises for the design point with influence_rate == 0.2 and an odd
    seed: a deterministic failure the sweep must record and survive."""
    if params.get("influence_rate") == 0.2 and seed % 2 == 1:
        raise RuntimeError(f"deliberate failure (seed {seed})")
    return model_run(scenario, seed=seed, members=members, **params)
