"""Run a scenario start to finish: the one call researchers and the CLI use."""

from __future__ import annotations

from typing import Any

from runoff_abm.model.result import RunResult
from runoff_abm.model.runoff import Prototypes, RunoffModel
from runoff_abm.model.scenario import DEFAULT_SCENARIO, Scenario


def run(scenario: Scenario | str = DEFAULT_SCENARIO, *, seed: int | None = None, members: int | None = None,
        engine: str = "array", rules: dict[str, Any] | None = None, trust_rules: bool = False,
        prototypes: Prototypes | None = None, **params: Any) -> RunResult:
    """Build a :class:`RunoffModel`, run it to election day, release it, return the result.

    Args:
        scenario: a Scenario, a built-in name or a path to a TOML file.
        seed: master seed; None draws one (recorded in the result).
        members: member count (None = the scenario's roll).
        engine: ``"array"`` or ``"agents"``.
        rules: plug-in election-day rules (see :mod:`runoff_abm.model.rules`): functions, or
            ``file.py:function`` relative to the working directory.
        trust_rules: also run the scenario file's own ``[rules]`` (``docs/security.md``).
        prototypes: a cache of populations and graphs shared by runs that differ only in
            parameters shaping neither (:class:`runoff_abm.model.runoff.Prototypes`; sweeps use
            one); the result is the same with or without it.
        **params: parameter overrides by name.
    """
    model = RunoffModel(scenario=scenario, seed=seed, members=members, engine=engine, rules=rules,
                        trust_rules=trust_rules, prototypes=prototypes, **params)
    try:
        result = model.run()
        result.overrides = dict(params)
        return result
    finally:
        model.release()
