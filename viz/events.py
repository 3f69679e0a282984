"""The event editor's logic, derived from the event declarations of :mod:`runoff_abm.model.events`.

The editor shows, for an event, the declared fields of its kind (:attr:`Event.fields
<runoff_abm.model.events.Event.fields>`) with their plain labels; name and day fields are
choices from the scenario, numbers and notes are text. An edit rebuilds the event's table with
the new value and parses it with :func:`~runoff_abm.model.events.parse_event`, the loader's own
parser, so the editor accepts exactly what a scenario file accepts, with the same messages
(events numbered from 1 here, as a student counts them). Any field can change, the kind too
(:func:`change_kind` keeps the day and every field the new kind shares). A new number field
starts at a sensible value (:func:`sensible_number`: the median of the scenario's own events of
that kind, else the declared default), not at the top of its range. Nothing here knows one kind
from another.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from runoff_abm.model.errors import ScenarioError
from runoff_abm.model.events import EVENT_KINDS, Event, EventField, choices, parse_event
from runoff_abm.model.events import blank_event as _blank_event
from runoff_abm.model.scenario import Scenario

__all__ = ["EditorField", "kind_labels", "event_fields", "field_choices", "field_text", "edit_event",
           "blank_event", "new_event", "change_kind", "sensible_number", "check_event", "apply_events",
           "short_label", "NONE"]

#: What an optional name field shows when it is empty.
NONE = "(none)"


@dataclass(frozen=True)
class EditorField:
    """One editable field of an event kind, as the editor shows it.

    Attributes:
        attr: the event's attribute.
        key: the field's key in a scenario file (used in messages).
        label: what the editor shows.
        kind: ``"day"`` or ``"choice"`` (a list to pick from), ``"number"`` or ``"text"``.
        spec: the declaration it comes from.
    """

    attr: str
    key: str
    label: str
    kind: str
    spec: EventField


def kind_labels() -> dict[str, str]:
    """Event kind -> plain label (``endorse`` -> ``endorsement``), from the declarations (read
    on every call, so a kind declared later is included)."""
    return {name: cls.label for name, cls in EVENT_KINDS.items()}


def event_fields(kind: str) -> tuple[EditorField, ...]:
    """The editable fields of event kind ``kind``, in the declaration's order."""
    out = []
    for f in EVENT_KINDS[kind].fields:
        shown = {"day": "day", "name": "choice", "number": "number", "text": "text"}[f.type]
        label = f"{f.label} {f.range_text()}" if f.type == "number" else f.label
        if f.type == "day":
            label = f"{f.label} (campaign day)"
        out.append(EditorField(attr=f.name, key=f.key, label=label, kind=shown, spec=f))
    return tuple(out)


def _spec(kind: str, attr: str) -> EventField:
    return next(f for f in EVENT_KINDS[kind].fields if f.name == attr)


def field_choices(kind: str, attr: str, scn: Scenario) -> list[str]:
    """The allowed values of a choice or day field (an optional name field also offers NONE)."""
    spec = _spec(kind, attr)
    allowed = choices(spec, scn)
    if spec.type == "name" and not spec.required:
        allowed = [NONE] + allowed
    return allowed


def field_text(event: Event, attr: str) -> str:
    """The current value of field ``attr`` of ``event`` as the editor shows it."""
    value = getattr(event, attr)
    if value is None:
        return NONE
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _renumber(err: ScenarioError, index: int) -> ScenarioError:
    """The error without its source (a file on the server) and with the field ``events[index]...``
    (the app shows it as ``event index+1``: :func:`runoff_abm.viz.messages.student_text`)."""
    field = err.field if err.field.startswith(f"events[{index}]") else f"events[{index}]" + (
        "." + err.field.split(".", 1)[1] if "." in err.field else "")
    return ScenarioError("", field, err.message)


def edit_event(event: Event, attr: str, text: str, scn: Scenario, index: int) -> Event:
    """A copy of ``event`` with field ``attr`` set from the editor's ``text``, checked by the
    loader's parser.

    Raises:
        ScenarioError: naming ``event N.field`` (N from 1) and what is allowed.
    """
    table = event.to_table()
    spec = _spec(event.kind, attr)
    if spec.type == "name" and text == NONE and not spec.required:
        table.pop(spec.key, None)
    else:
        table[spec.key] = text
    if attr == "day" and "until" in table and _spec(event.kind, "day").type == "day":
        try:  # moving a span's first day keeps the span valid
            table["until"] = max(int(str(text)), int(table["until"]))
        except ValueError:
            pass
    try:
        return parse_event(table, scn, f"events[{index}]")
    except ScenarioError as err:
        raise _renumber(err, index) from None


def check_event(event: Event, scn: Scenario, index: int) -> None:
    """Check every field of ``event`` against what ``scn`` allows (as the loader would).

    Raises:
        ScenarioError: naming ``event N.field``.
    """
    try:
        parse_event(event.to_table(), scn, f"events[{index}]")
    except ScenarioError as err:
        raise _renumber(err, index) from None


def blank_event(kind: str, scn: Scenario, taken: Sequence[Event] = ()) -> Event:
    """A new event of ``kind`` on day 1 with allowed values (see
    :func:`runoff_abm.model.events.blank_event`)."""
    return _blank_event(kind, scn, taken)


def sensible_number(kind: str, attr: str, scn: Scenario) -> float | None:
    """A starting value for number field ``attr`` of a new ``kind`` event: the median of the
    scenario's own events of that kind (e.g. 0.5 for an endorsement's strength in labor-2011),
    else the declared default, else the middle of the allowed range."""
    spec = _spec(kind, attr)
    seen = [float(getattr(e, attr)) for e in scn.events if e.kind == kind and getattr(e, attr, None) is not None]
    if seen:
        return float(statistics.median(seen))
    if spec.default is not None:
        return float(spec.default)
    if spec.low is not None and spec.high is not None:
        return (float(spec.low) + float(spec.high)) / 2
    return None


def _first_allowed(kind: str, scn: Scenario, taken: Sequence[Event]) -> Event:
    """The first combination of allowed values (names in the scenario's order, numbers from
    :func:`sensible_number`, day 1) that is a valid event, preferring one that keeps the event
    list valid together with ``taken``."""
    if kind not in EVENT_KINDS:
        raise ScenarioError("", "events.kind", f"{kind!r} is not an event kind; allowed: {', '.join(EVENT_KINDS)}")
    fields = EVENT_KINDS[kind].fields
    options: list[list[Any]] = []
    for f in fields:
        if f.type == "day":
            options.append([1])
        elif f.type == "name":
            options.append(choices(f, scn) + ([None] if not f.required else []))
        elif f.type == "number":
            options.append([sensible_number(kind, f.name, scn)])
        else:
            options.append([f.default])
    first = None
    for combo in itertools.islice(itertools.product(*options), 2000):
        table = {"kind": kind} | {f.key: v for f, v in zip(fields, combo, strict=True) if v is not None}
        try:
            event = parse_event(table, scn, "events[0]")
        except ScenarioError:
            continue
        first = first or event
        try:
            scn.with_events(list(taken) + [event])
        except ScenarioError:
            continue
        return event
    if first is not None:
        return first
    raise ScenarioError("", "events.kind", f"this scenario has nothing a {EVENT_KINDS[kind].label} event could name")


def new_event(kind: str, scn: Scenario, taken: Sequence[Event] = (), day: int | None = None) -> Event:
    """A new event of ``kind`` for the editor: allowed names (keeping the list valid with
    ``taken`` where possible), numbers from :func:`sensible_number`, on ``day`` (default 1).

    Raises:
        ScenarioError: when the scenario has nothing this kind of event could name.
    """
    event = _first_allowed(kind, scn, taken)
    if day is not None and day != event.day:
        table = event.to_table()
        table["day"] = day
        if "until" in table:
            table["until"] = max(day, int(table["until"]))
        try:
            event = parse_event(table, scn, "events[0]")
        except ScenarioError:
            pass
    return event


def change_kind(event: Event, kind: str, scn: Scenario, others: Sequence[Event], index: int) -> Event:
    """``event`` turned into a ``kind`` event: same day, every field the new kind shares (same
    key, value allowed) kept except the note (it described the old event), the rest as
    :func:`new_event` would start them.

    Raises:
        ScenarioError: naming ``events[index].kind`` when the scenario has nothing such an event
        could name.
    """
    if kind == event.kind:
        return event
    try:
        fresh = new_event(kind, scn, others, day=event.day)
    except ScenarioError as err:
        raise ScenarioError("", f"events[{index}].kind", err.message) from None
    table = fresh.to_table()
    old = event.to_table()
    keys = {f.key for f in fresh.fields}
    best = fresh
    for key, value in old.items():
        if key in ("kind", "note") or key not in keys or table.get(key) == value:
            continue
        trial = {**table, key: value}
        try:
            candidate = parse_event(trial, scn, f"events[{index}]")
        except ScenarioError:
            continue
        table, best = trial, candidate
    return best


def apply_events(scn: Scenario, events: Sequence[Event]) -> Scenario:
    """``scn`` with its event list replaced by ``events``, every field and the list checked.

    Raises:
        ScenarioError: for the first event or field that is not allowed (numbered from 1).
    """
    for i, event in enumerate(events):
        check_event(event, scn, i)
    try:
        return scn.with_events(list(events))
    except ScenarioError as err:
        for i in range(len(events)):
            if f"events[{i}]" in err.field:
                raise _renumber(err, i) from None
        raise


def short_label(event: Event) -> str:
    """A few words for a marker on the time axis (``describe()`` gives the full sentence)."""
    return event.short()
