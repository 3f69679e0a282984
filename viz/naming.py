"""Names for runs that say what was changed: "Herzog endorses Peretz on day 5 instead of Herzog
declares neutrality".

A counterfactual is the loaded scenario with some events changed, removed or added and some
parameters moved. :func:`event_changes` compares the scenario's own event list with the edited
one and pairs each removed event with the added event that most resembles it (same day, same
kind, same names), so an edit reads as one change, not a removal and an addition;
:func:`parameter_changes` names moved parameters by their plain label (``PARAM_SPECS``).
:func:`run_name` joins them into the name of a run, its results and its exports. Nothing here
knows one event kind from another: sentences come from each kind's ``describe()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from runoff_abm.model.events import Event
from runoff_abm.model.params import PARAM_SPECS

__all__ = ["event_changes", "parameter_changes", "rule_changes", "run_name", "UNEDITED"]

#: What an unedited run of a scenario is called after its name.
UNEDITED = "as recorded"


def _when(event: Event) -> str:
    until = getattr(event, "until", None)
    if isinstance(until, int) and until != event.day:
        return f"days {event.day}-{until}"
    return f"day {event.day}"


def _resemblance(old: Event, new: Event) -> int:
    """How alike two events are: same day, same kind, each shared field value."""
    score = 2 * (old.day == new.day) + 2 * (old.kind == new.kind)
    old_table, new_table = old.to_table(), new.to_table()
    score += sum(1 for k, v in new_table.items() if k not in ("kind", "day", "note") and old_table.get(k) == v)
    return score


def _sentence(event: Event) -> str:
    text = event.describe()
    return text if _when(event) in text else f"{text} on {_when(event)}"


def event_changes(before: Sequence[Event], after: Sequence[Event]) -> list[str]:
    """Plain sentences for what turned the event list ``before`` into ``after``.

    Events in both lists are unchanged. Each remaining event of ``after`` is paired with the
    remaining event of ``before`` it most resembles (something in common: the day, the kind or a
    value), and read as a change; the rest are additions and removals.
    """
    removed = list(before)
    added = []
    for e in after:
        if e in removed:
            removed.remove(e)
        else:
            added.append(e)
    out = []
    for new in added:
        best = max(removed, key=lambda old: _resemblance(old, new), default=None)
        if best is not None and _resemblance(best, new) >= 1:
            removed.remove(best)
            old_text = best.describe() if best.day == new.day and _when(best) == _when(new) else _sentence(best)
            out.append(f"{_sentence(new)} instead of {old_text}")
        else:
            out.append(f"added: {_sentence(new)}")
    out += [f"without: {_sentence(old)}" for old in removed]
    return out


def _format(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def parameter_changes(base_values: Mapping[str, float | int], overrides: Mapping[str, float | int]) -> list[str]:
    """Plain sentences for moved parameters: "voters follow an endorsement 0.9 instead of 0.25"."""
    specs = {s.name: s for s in PARAM_SPECS}
    out = []
    for name, value in overrides.items():
        spec = specs.get(name)
        label = spec.label if spec is not None and spec.label else name
        out.append(f"{label} {_format(value)} instead of {_format(base_values.get(name))}")
    return out


def rule_changes(rules: Mapping[str, str]) -> list[str]:
    """Plain sentences for plug-in rules chosen in the app: "choice rule: clan_vote"."""
    return [f"{slot} rule: {name}" for slot, name in sorted(rules.items())]


def run_name(scenario: str, changes: Sequence[str]) -> str:
    """The name of a run: ``"labor-2011 as recorded"`` or ``"labor-2011: change; change"``."""
    if not changes:
        return f"{scenario} {UNEDITED}"
    return f"{scenario}: " + "; ".join(changes)
