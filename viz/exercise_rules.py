"""The decision rules of exercise 5, shipped with the package so the app can offer them.

Exercise 5 asks students to replace a member's decision rule with their own. Running a student's
code on a server that a whole class shares is not safe (``docs/security.md``), so in the browser
students choose among the exercise's own rules listed here (the functions of
``exercises/05-your-own-rule/my_rules.py``, kept identical to them by a test), and write their
own rules where code belongs to its owner: on the command line (``runoff run --rule
choice=my_rules.py:clan_vote``) or in Python/Jupyter (``run(..., rules={"choice": my_rule})``).

The app passes these functions to the model as function objects; nothing named by a file or a
page is imported or executed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ExerciseRule", "EXERCISE_RULES", "rules_for", "clan_vote", "follow_the_neighbours", "habit_only"]


def clan_vote(member):
    """Choice rule: members in Arab and Druze localities vote with the locality (Peretz is B)."""
    if member.sector in ("arab", "druze"):
        return 0.0
    return member.leaning


def follow_the_neighbours(member):
    """Choice rule: vote like the majority of your ties (a stronger form of social influence)."""
    lean = member.model.state.leaning
    ties = member.neighbours()
    if len(ties) == 0:
        return member.leaning
    return float((lean[ties] > 0.5).mean())


def habit_only(member):
    """Turnout rule: round-1 voters vote, round-1 abstainers do not."""
    return 0.0 if member.round1 == "abstained" else 1.0


@dataclass(frozen=True)
class ExerciseRule:
    """A rule the app offers: its name, which rule it replaces (``choice`` or ``turnout``), what
    it says in plain words, and the function."""

    name: str
    slot: str
    text: str
    function: Callable


#: The rules offered in the browser, by name.
EXERCISE_RULES: dict[str, ExerciseRule] = {r.name: r for r in (
    ExerciseRule("clan_vote", "choice", "members in Arab and Druze localities all vote with the locality (for "
                 "Peretz); everyone else by their own leaning", clan_vote),
    ExerciseRule("follow_the_neighbours", "choice", "vote like the majority of your ties", follow_the_neighbours),
    ExerciseRule("habit_only", "turnout", "round-1 voters all vote again; round-1 abstainers all stay home",
                 habit_only),
)}


def rules_for(chosen) -> dict[str, Callable]:
    """The model's ``rules`` argument for chosen rule names ((slot, name) pairs).

    Raises:
        ValueError: for a name that is not one of :data:`EXERCISE_RULES` or a slot it does not fit.
    """
    out = {}
    for slot, name in chosen:
        rule = EXERCISE_RULES.get(name)
        if rule is None or rule.slot != slot:
            allowed = ", ".join(r.name for r in EXERCISE_RULES.values() if r.slot == slot) or "(none)"
            raise ValueError(f"{slot} rule: {name!r} is not offered here; allowed: {allowed}")
        out[slot] = rule.function
    return out
