"""Exercise presets for the app's exercise mode (``?exercise=NAME``).

Each ``scenarios/exercises/NAME.toml`` (data shipped in :mod:`runoff_abm.scenarios`) gives a title, the exercise folder it belongs to, the
preset scenario and member count, the controls the exercise needs (parameter names, plus
``seed``, ``members``, ``events``, ``compare``, ``replicates``, ``upload``) and the instructions
(Markdown) shown beside them. ``rules`` offers exercise 5's own decision rules
(:mod:`runoff_abm.viz.exercise_rules`); no preset can make the app run code from a file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass

from runoff_abm.model.errors import ScenarioError
from runoff_abm.model.params import PARAM_SPECS
from runoff_abm.scenarios import BUILTIN_DIR, builtin_names

__all__ = ["Exercise", "exercise_names", "load_exercise", "SPECIAL_CONTROLS"]

DIR = BUILTIN_DIR / "exercises"
SPECIAL_CONTROLS = ("seed", "members", "events", "compare", "replicates", "upload", "rules")


@dataclass(frozen=True)
class Exercise:
    """An exercise preset: its scenario, member count, controls and instructions."""
    name: str
    title: str
    exercise: str
    scenario: str
    members: int
    controls: tuple[str, ...]
    instructions: str

    @property
    def parameters(self) -> tuple[str, ...]:
        """The model parameters this exercise exposes."""
        return tuple(c for c in self.controls if c not in SPECIAL_CONTROLS)


def exercise_names() -> list[str]:
    """The names of the shipped exercise presets, sorted."""
    return sorted(p.stem for p in DIR.glob("*.toml"))


def load_exercise(name: str) -> Exercise:
    """The preset of exercise ``name``; ScenarioError if unknown or malformed."""
    path = DIR / f"{name}.toml"
    if name not in exercise_names():
        raise ScenarioError(name, "exercise", f"no such exercise; allowed: {', '.join(exercise_names())}")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    allowed = {s.name for s in PARAM_SPECS} | set(SPECIAL_CONTROLS)
    for c in data.get("controls", []):
        if c not in allowed:
            raise ScenarioError(str(path), "controls", f"{c!r} is not a control; allowed: parameter names and "
                                f"{', '.join(SPECIAL_CONTROLS)}")
    if data.get("scenario") not in builtin_names():
        raise ScenarioError(str(path), "scenario", f"{data.get('scenario')!r} is not a built-in scenario")
    return Exercise(name=name, title=data["title"], exercise=data["exercise"], scenario=data["scenario"],
                    members=int(data.get("members", 5000)), controls=tuple(data.get("controls", [])),
                    instructions=data["instructions"].strip())
