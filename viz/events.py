"""The event editor's logic: the fields of each event kind, their allowed values, and checked edits.

Events are the scenario's own dataclasses (:class:`~scenarios.loader.Endorse`,
:class:`~scenarios.loader.Neutral`, :class:`~scenarios.loader.ActivistsDefect`,
:class:`~scenarios.loader.ContractorRealign`, :class:`~scenarios.loader.Offer`). An edit builds
a new event with :func:`dataclasses.replace`; the list is applied with
:meth:`Scenario.with_events <scenarios.loader.Scenario.with_events>`, which checks the days and
that a candidate declares at most once. ``with_events`` does not re-check names and numbers, so
this module checks every field against the values the scenario file format allows
(``docs/scenarios.md``) and raises :class:`~scenarios.loader.ScenarioError` in the loader's
style (``events[i].field: ... allowed: ...``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from scenarios.loader import (
    EVENT_KINDS,
    SIT_OUT,
    ActivistsDefect,
    ContractorRealign,
    Endorse,
    Neutral,
    Offer,
    Scenario,
    ScenarioError,
)

__all__ = ["EventField", "KIND_LABELS", "event_fields", "field_choices", "field_text", "edit_event",
           "blank_event", "check_event", "apply_events", "short_label", "ALL_OF"]

#: Prefix of the "who" choice that realigns all contractors of a patron.
ALL_OF = "all contractors of "

KIND_LABELS = {
    "endorse": "endorsement",
    "neutral": "neutrality",
    "activists_defect": "activists defect",
    "contractor_realign": "contractor realigns",
    "offer": "offer",
}


@dataclass(frozen=True)
class EventField:
    """One editable field of an event kind.

    Attributes:
        attr: the dataclass attribute (``who`` stands for ``contractor``/``patron``).
        key: the field's name in a scenario file (used in error messages).
        label: what the editor shows.
        kind: ``"day"``, ``"choice"``, ``"number"`` (in (0, 1]) or ``"text"``.
    """

    attr: str
    key: str
    label: str
    kind: str


_DAY = EventField("day", "day", "day", "day")
_NOTE = EventField("note", "note", "note", "text")
_FIELDS: dict[str, tuple[EventField, ...]] = {
    "endorse": (_DAY, EventField("by", "by", "who endorses", "choice"),
                EventField("target", "for", "endorses", "choice"),
                EventField("strength", "strength", "strength (0-1]", "number"), _NOTE),
    "neutral": (_DAY, EventField("by", "by", "who declares neutrality", "choice"), _NOTE),
    "activists_defect": (_DAY, EventField("until", "until", "until day", "day"),
                         EventField("source", "from", "activists of", "choice"),
                         EventField("target", "to", "move to", "choice"),
                         EventField("share", "share", "share (0-1]", "number"), _NOTE),
    "contractor_realign": (_DAY, EventField("who", "contractor", "contractor", "choice"),
                           EventField("target", "to", "realigns to", "choice"), _NOTE),
    "offer": (_DAY, EventField("by", "by", "finalist offering", "choice"),
              EventField("target", "to", "offered to", "choice"),
              EventField("value", "value", "value (0-1]", "number"), _NOTE),
}


def event_fields(kind: str) -> tuple[EventField, ...]:
    """The editable fields of event kind ``kind`` (a key of ``EVENT_KINDS``)."""
    return _FIELDS[kind]


def _endorsers(scn: Scenario) -> list[str]:
    return list(scn.eliminated) + [i.name for i in scn.institutions]


def _patrons(scn: Scenario) -> list[str]:
    return [c.name for c in scn.candidates if any(k.patron == c.name for k in scn.contractors)]


_CHOICES: dict[tuple[str, str], Callable[[Scenario], list[str]]] = {
    ("endorse", "by"): _endorsers,
    ("endorse", "target"): lambda s: list(s.finalists),
    ("neutral", "by"): lambda s: list(s.eliminated),
    ("activists_defect", "source"): lambda s: [c.name for c in s.candidates],
    ("activists_defect", "target"): lambda s: list(s.finalists),
    ("contractor_realign", "who"): lambda s: [c.name for c in s.contractors] + [ALL_OF + p for p in _patrons(s)],
    ("contractor_realign", "target"): lambda s: list(s.finalists) + [SIT_OUT],
    ("offer", "by"): lambda s: list(s.finalists),
    ("offer", "target"): lambda s: list(s.eliminated) + [c.name for c in s.contractors],
}


def field_choices(kind: str, attr: str, scn: Scenario) -> list[str]:
    """The allowed values of a choice field (or the allowed days of a day field)."""
    if attr in ("day", "until"):
        return [str(d) for d in range(1, scn.election_day)]
    return _CHOICES[(kind, attr)](scn)


def field_text(event, attr: str) -> str:
    """The current value of field ``attr`` of ``event`` as the editor shows it."""
    if attr == "who":
        return event.contractor if event.contractor else ALL_OF + str(event.patron)
    value = getattr(event, attr)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _fail(scn: Scenario, index: int, key: str, message: str):
    raise ScenarioError(scn.path, f"events[{index}].{key}", message)


def _number(text: str, scn: Scenario, index: int, key: str) -> float:
    try:
        value = float(str(text).strip())
    except ValueError:
        _fail(scn, index, key, f"{text!r} is not a number; allowed: (0, 1]")
    if not math.isfinite(value) or not 0 < value <= 1:
        _fail(scn, index, key, f"{text} is out of range; allowed: (0, 1]")
    return value


def _day(text: str, scn: Scenario, index: int, key: str, low: int = 1) -> int:
    last = scn.election_day - 1
    try:
        value = int(str(text).strip())
    except ValueError:
        _fail(scn, index, key, f"{text!r} is not a whole number; allowed: {low}..{last}")
    if not low <= value <= last:
        _fail(scn, index, key, f"{value} is not allowed; allowed: {low}..{last} (round 1 is day 0, "
              f"the runoff is day {scn.election_day})")
    return value


def check_event(event, scn: Scenario, index: int) -> None:
    """Check every field of ``event`` against what scenario ``scn`` allows.

    Raises:
        ScenarioError: naming ``events[index]`` and the field, with the allowed values.
    """
    kind = event.kind
    for f in event_fields(kind):
        if f.kind == "choice":
            allowed = field_choices(kind, f.attr, scn)
            value = field_text(event, f.attr)
            if value not in allowed:
                _fail(scn, index, f.key, f"{value!r} is not allowed; allowed: {', '.join(allowed) or '(none)'}")
        elif f.kind == "number":
            _number(getattr(event, f.attr), scn, index, f.key)
        elif f.kind == "day":
            low = event.day if f.attr == "until" else 1
            _day(getattr(event, f.attr), scn, index, f.key, low)
    if isinstance(event, ActivistsDefect) and event.source == event.target:
        _fail(scn, index, "to", "must differ from 'from'")


def edit_event(event, attr: str, text: str, scn: Scenario, index: int):
    """A copy of ``event`` with field ``attr`` set from the editor's ``text``, checked.

    Args:
        event: the event being edited.
        attr: the field (an :attr:`EventField.attr`).
        text: the new value as text (a choice, a number, a day or a note).
        scn: the scenario the event belongs to (for the allowed values).
        index: the event's position, for error messages.

    Raises:
        ScenarioError: when the value is not allowed.
    """
    kind = event.kind
    spec = next(f for f in event_fields(kind) if f.attr == attr)
    if spec.kind == "text":
        return dataclasses.replace(event, note=str(text))
    if spec.kind == "number":
        return dataclasses.replace(event, **{attr: _number(text, scn, index, spec.key)})
    if spec.kind == "day":
        value = _day(text, scn, index, spec.key, event.day if attr == "until" else 1)
        if isinstance(event, ActivistsDefect) and attr == "day":
            return dataclasses.replace(event, day=value, until=max(value, event.until))
        return dataclasses.replace(event, **{attr: value})
    allowed = field_choices(kind, attr, scn)
    if text not in allowed:
        _fail(scn, index, spec.key, f"{text!r} is not allowed; allowed: {', '.join(allowed) or '(none)'}")
    if attr == "who":
        if text.startswith(ALL_OF) and text not in [c.name for c in scn.contractors]:
            return dataclasses.replace(event, contractor=None, patron=text[len(ALL_OF):])
        return dataclasses.replace(event, contractor=text, patron=None)
    edited = dataclasses.replace(event, **{attr: text})
    check_event(edited, scn, index)
    return edited


def blank_event(kind: str, scn: Scenario, taken: Sequence = ()):
    """A new event of ``kind`` on day 1 with the first allowed values, for the editor to change.

    For an endorsement or neutrality it picks an eliminated candidate who has not yet declared in
    ``taken`` (the other events), so that the new list stays valid when one is left.

    Raises:
        ScenarioError: when the scenario has nothing this kind of event could name.
    """
    if kind not in EVENT_KINDS:
        raise ScenarioError(scn.path, "events.kind", f"{kind!r} is not an event kind; allowed: {', '.join(EVENT_KINDS)}")

    def first(attr: str, avoid: Sequence[str] = ()) -> str:
        allowed = field_choices(kind, attr, scn)
        if not allowed:
            raise ScenarioError(scn.path, f"events.{attr}",
                                f"this scenario has nothing a {KIND_LABELS[kind]} event could name")
        fresh = [a for a in allowed if a not in avoid]
        return (fresh or allowed)[0]

    declared = [e.by for e in taken if isinstance(e, (Endorse, Neutral))]
    if kind == "endorse":
        return Endorse(day=1, by=first("by", declared), target=scn.finalists[0])
    if kind == "neutral":
        return Neutral(day=1, by=first("by", declared))
    if kind == "activists_defect":
        source = first("source", scn.finalists)
        target = scn.finalists[1] if source == scn.finalists[0] else scn.finalists[0]
        return ActivistsDefect(day=1, until=1, source=source, target=target, share=0.2)
    if kind == "contractor_realign":
        who = first("who")
        if who.startswith(ALL_OF) and who not in [c.name for c in scn.contractors]:
            return ContractorRealign(day=1, target=scn.finalists[0], patron=who[len(ALL_OF):])
        return ContractorRealign(day=1, target=scn.finalists[0], contractor=who)
    return Offer(day=1, by=scn.finalists[0], target=first("target"))


def apply_events(scn: Scenario, events: Sequence) -> Scenario:
    """``scn`` with its event list replaced by ``events``, every field and the list checked.

    Raises:
        ScenarioError: for the first event or field that is not allowed.
    """
    for i, event in enumerate(events):
        check_event(event, scn, i)
    return scn.with_events(list(events))


def short_label(event) -> str:
    """A few words for a marker on the time axis (``describe()`` gives the full sentence)."""
    if isinstance(event, Endorse):
        return f"{event.by} → {event.target}"
    if isinstance(event, Neutral):
        return f"{event.by} neutral"
    if isinstance(event, ActivistsDefect):
        return f"{event.source} activists → {event.target}"
    if isinstance(event, ContractorRealign):
        who = event.contractor or f"{event.patron}'s contractors"
        return f"{who} → {event.target}"
    return f"{event.by} offers {event.target}"
