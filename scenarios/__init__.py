"""Scenario files (TOML) for the runoff model, and their validating loader.

Built-in scenarios are the ``*.toml`` files in this folder; ``docs/scenarios.md`` describes the
format field by field.
"""

from scenarios.loader import Scenario, ScenarioError, builtin_names, load_scenario

__all__ = ["Scenario", "ScenarioError", "builtin_names", "load_scenario"]
