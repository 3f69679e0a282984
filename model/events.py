"""Event kinds between the rounds, each declared once.

An event kind is a frozen dataclass registered with :func:`event_kind`. Its fields are declared
with :func:`field` (TOML key, type, plain-language label, meaning, default, range, which names
it may refer to); its behaviour is the methods :meth:`Event.check` (rules across fields and
scenario), :meth:`Event.apply` (what happens in the model on its day) and :meth:`Event.describe`.
Everything else is derived from that one declaration:

- the scenario loader parses ``[[events]]`` tables with :func:`parse_event`;
- sweep specs parse their event factors with the same function;
- the app's event editor lists :data:`EVENT_KINDS`, shows :attr:`Event.fields` with their labels
  and the choices of :func:`choices`, and checks edits with :func:`parse_event`;
- ``docs/scenarios.md``'s event reference is :func:`markdown_reference`;
- results and share links record events as :meth:`Event.to_table` (TOML/JSON tables that
  :func:`parse_event` reads back).

Adding an event kind is one declaration in this module (or, for a test or an extension, anywhere
that calls :func:`event_kind`).
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from runoff_abm.model.errors import ScenarioError, clean_list, clean_text

if TYPE_CHECKING:  # pragma: no cover
    from runoff_abm.model.scenario import Scenario

__all__ = [
    "Event", "EventField", "EVENT_KINDS", "event_kind", "unregister_event_kind", "field", "parse_event",
    "choices", "name_sets", "blank_event", "markdown_reference", "SIT_OUT",
    "Endorse", "Neutral", "ActivistsDefect", "ContractorRealign", "Offer", "Appeal", "Insult", "Praise",
]

#: The target of a ``contractor_realign`` event that sits the runoff out.
SIT_OUT = "none"

#: Field types: a campaign day, a number in a range, a name from the scenario, free text.
FIELD_TYPES = ("day", "number", "name", "text")

_REQUIRED = object()


@dataclass(frozen=True)
class EventField:
    """The declaration of one field of an event kind.

    Attributes:
        name: the dataclass attribute.
        key: the field's key in a scenario file (e.g. ``for`` for the attribute ``target``).
        type: one of :data:`FIELD_TYPES`.
        label: what the app shows, in plain words.
        meaning: one sentence for the docs and the app's help.
        required: whether a file must give it.
        default: the value when not given (None = absent).
        low, high, open_low: the allowed range of a number (``(low, high]`` when ``open_low``).
        names: for a name field, which of the scenario's name sets it may take (see
            :func:`name_sets`).
    """

    name: str
    key: str
    type: str
    label: str
    meaning: str
    required: bool
    default: Any
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    names: tuple[str, ...] = ()

    def range_text(self) -> str:
        """The allowed range of a number field, e.g. ``(0, 1]``."""
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        return f"{'(' if self.open_low else '['}{lo}, {hi}]"


def field(key: str | None = None, *, type: str, label: str, meaning: str, default: Any = _REQUIRED,
          low: float | None = None, high: float | None = None, open_low: bool = False,
          names: Sequence[str] = ()) -> Any:
    """Declare a field of an event kind (use as the dataclass field's default).

    Args:
        key: the TOML key when it differs from the attribute name.
        type: ``"day"``, ``"number"``, ``"name"`` or ``"text"``.
        label: plain-language label (the app shows it).
        meaning: one sentence (docs and help).
        default: the value when a file omits the field; omit for a required field.
        low: the smallest number allowed (None: no bound).
        high: the largest number allowed (None: no bound).
        open_low: whether ``low`` itself is excluded.
        names: for a name field, the scenario name sets allowed (``finalist``, ``eliminated``,
            ``candidate``, ``contractor``, ``institution``, ``patron``, ``sit_out``).
    """
    if type not in FIELD_TYPES:
        raise ValueError(f"field type {type!r}; allowed: {', '.join(FIELD_TYPES)}")
    meta = {"key": key, "type": type, "label": label, "meaning": meaning, "required": default is _REQUIRED,
            "low": low, "high": high, "open_low": open_low, "names": tuple(names)}
    return dataclasses.field(default=None if default is _REQUIRED else default, metadata={"event": meta})


#: Every registered event kind by its name in scenario files, in declaration order.
EVENT_KINDS: dict[str, type[Event]] = {}
E = TypeVar("E", bound="Event")


def event_kind(name: str, *, label: str, meaning: str) -> Callable[[type[E]], type[E]]:
    """Class decorator: make ``cls`` a frozen keyword-only dataclass and register it as event
    kind ``name`` (its ``kind`` in scenario files), with a plain ``label`` and a ``meaning``."""

    def register(cls: type[E]) -> type[E]:
        cls = dataclass(frozen=True, kw_only=True)(cls)
        declared = []
        for f in dataclasses.fields(cls):
            meta = f.metadata.get("event")
            if meta is None:
                continue
            declared.append(EventField(name=f.name, key=meta["key"] or f.name, type=meta["type"],
                                       label=meta["label"], meaning=meta["meaning"], required=meta["required"],
                                       default=f.default, low=meta["low"], high=meta["high"],
                                       open_low=meta["open_low"], names=meta["names"]))
        # the editor's order: day first, the kind's own fields, the note last
        order = [f for f in declared if f.name == "day"] + [f for f in declared if f.name not in ("day", "note")] \
            + [f for f in declared if f.name == "note"]
        cls.kind = name
        cls.label = label
        cls.meaning = meaning
        cls.fields = tuple(order)
        EVENT_KINDS[name] = cls
        return cls

    return register


def unregister_event_kind(name: str) -> None:
    """Remove event kind ``name`` (for tests that declare a kind of their own)."""
    EVENT_KINDS.pop(name, None)


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event kind: a day, a note, and the behaviour hooks.

    Subclasses are declared with :func:`event_kind` and :func:`field`.
    """

    kind: ClassVar[str] = ""
    label: ClassVar[str] = ""
    meaning: ClassVar[str] = ""
    fields: ClassVar[tuple[EventField, ...]] = ()

    day: int = field(type="day", label="day", meaning="campaign day on which the event happens (round 1 is day 0)")
    note: str = field(type="text", label="note", meaning="free text: what happened and its source", default="")

    # ------------------------------------------------------------------ behaviour hooks
    def check(self, scn: Scenario) -> None:
        """Rules across fields and with the scenario; raise :class:`EventFieldError` (key, message)."""

    def active_on(self, day: int) -> bool:
        """Whether the event acts on campaign day ``day``."""
        return day == self.day

    def apply(self, model: Any, index: int) -> None:
        """Act on ``model`` today; ``index`` is the event's position (it keys its random stream)."""
        raise NotImplementedError

    def describe(self) -> str:
        """One sentence for logs and timelines."""
        return f"{self.label}: " + ", ".join(f"{f.label} {getattr(self, f.name)}" for f in self.fields
                                                 if f.name not in ("day", "note"))

    def short(self) -> str:
        """A few words for a marker on a time axis."""
        return self.describe()

    # ------------------------------------------------------------------ derived
    def names(self) -> set[str]:
        """Every scenario name this event refers to (candidates, contractors, institutions)."""
        return {getattr(self, f.name) for f in self.fields if f.type == "name" and getattr(self, f.name)}

    def to_table(self) -> dict[str, Any]:
        """The event as a scenario-file table (``parse_event`` reads it back)."""
        out: dict[str, Any] = {"kind": self.kind}
        for f in self.fields:
            value = getattr(self, f.name)
            if value is None or (f.name == "note" and not value):
                continue
            out[f.key] = value
        return out


class EventFieldError(Exception):
    """Raised by :meth:`Event.check`: the TOML key at fault and the message."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key
        self.message = message


# --------------------------------------------------------------------------- names and parsing
def name_sets(scn: Scenario) -> dict[str, list[str]]:
    """The scenario's name sets that name fields draw on."""
    patrons = {k.patron for k in scn.contractors}
    return {
        "finalist": list(scn.finalists),
        "eliminated": list(scn.eliminated),
        "candidate": [c.name for c in scn.candidates],
        "contractor": [c.name for c in scn.contractors],
        "institution": [i.name for i in scn.institutions],
        "patron": [c.name for c in scn.candidates if c.name in patrons],
        "sit_out": [SIT_OUT],
    }


def _allowed(spec: EventField, scn: Scenario) -> dict[str, None]:
    """The allowed values of name field ``spec`` as an ordered dict (fast membership), computed
    once per scenario object and name-set combination (the loader checks every event's fields)."""
    cache = scn.__dict__.get("_allowed_names")
    if cache is None:
        cache = {}
        object.__setattr__(scn, "_allowed_names", cache)  # a cache, not a field: not compared or copied
    out = cache.get(spec.names)
    if out is None:
        sets = name_sets(scn)
        out = {}
        for s in spec.names:
            out.update(dict.fromkeys(sets[s]))
        cache[spec.names] = out
    return out


def choices(spec: EventField, scn: Scenario) -> list[str]:
    """The allowed values of a name field (or the campaign days of a day field), as text."""
    if spec.type == "day":
        return [str(d) for d in range(1, scn.election_day)]
    return list(_allowed(spec, scn))


def _convert(spec: EventField, value: Any, scn: Scenario) -> Any:
    """``value`` checked against ``spec``; raises EventFieldError. Text from the app's fields is
    accepted for days and numbers."""
    if spec.type == "day":
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise EventFieldError(spec.key, f"{clean_text(value)} is not a whole number; allowed: "
                                      f"1..{scn.election_day - 1}") from None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise EventFieldError(spec.key, f"expected a whole number, got {clean_text(value)}")
        if not 1 <= value <= scn.election_day - 1:
            raise EventFieldError(spec.key, f"{value} is not a campaign day; allowed: 1..{scn.election_day - 1} "
                                  f"(round 1 is day 0, the runoff is day {scn.election_day})")
        return value
    if spec.type == "number":
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise EventFieldError(spec.key, f"{clean_text(value)} is not a number; allowed: "
                                      f"{spec.range_text()}") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise EventFieldError(spec.key, f"expected a number, got {clean_text(value)}")
        value = float(value)
        if (spec.low is not None and (value < spec.low or (spec.open_low and value <= spec.low))) or \
                (spec.high is not None and value > spec.high):
            raise EventFieldError(spec.key, f"{value:g} is out of range; allowed: {spec.range_text()}")
        return value
    if not isinstance(value, str):
        raise EventFieldError(spec.key, f"expected a string, got {clean_text(value)}")
    if spec.type == "name":
        allowed = _allowed(spec, scn)
        if value not in allowed:
            close = difflib.get_close_matches(value, list(allowed), n=1) if len(value) <= 100 else []
            hint = f" (did you mean {clean_text(close[0])}?)" if close else ""
            raise EventFieldError(spec.key, f"{clean_text(value)} is not allowed{hint}; allowed: "
                                  f"{clean_list(allowed, 24) or '(none in this scenario)'}")
    elif not _printable_text(value):
        raise EventFieldError(spec.key, f"{clean_text(value)} holds control characters; allowed: printable "
                              "text, newlines and tabs")
    return value


def _printable_text(text: str) -> bool:
    """Free text without control characters other than newline, tab and carriage return."""
    return text.isprintable() or all(ch.isprintable() or ch in "\n\t\r" or not _is_control(ch) for ch in text)


def _is_control(ch: str) -> bool:
    import unicodedata

    return unicodedata.category(ch) in ("Cc", "Zl", "Zp") or "\u202a" <= ch <= "\u202e" or "\u2066" <= ch <= "\u2069"


def parse_event(table: Any, scn: Scenario, path: str = "events[0]", source: str | None = None) -> Event:
    """Validate one event table (``kind`` plus the kind's fields) against scenario ``scn``.

    Args:
        table: the parsed TOML table (values may also be text, as typed in the app).
        scn: the scenario the event belongs to (for days and names).
        path: the table's place in the file, for messages (e.g. ``events[3]``).
        source: the file, for messages (default: the scenario's path).

    Raises:
        ScenarioError: naming ``path.key``, what is wrong and what is allowed.
    """
    src = scn.path if source is None else source
    if not isinstance(table, Mapping):
        raise ScenarioError(src, path, "expected a table ([[events]])")
    kind = table.get("kind")
    if not isinstance(kind, str) or kind not in EVENT_KINDS:
        raise ScenarioError(src, f"{path}.kind", f"{clean_text(kind)} is not an event kind; allowed: "
                            f"{', '.join(EVENT_KINDS)}")
    cls = EVENT_KINDS[kind]
    by_key = {f.key: f for f in cls.fields}
    for key in table:
        if key != "kind" and key not in by_key:
            close = difflib.get_close_matches(str(key), list(by_key), n=1) if len(str(key)) <= 100 else []
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ScenarioError(src, f"{path}.{clean_text(key, 40)[1:-1]}",
                                f"unknown field{hint}; allowed here: kind, {', '.join(by_key)}")
    values = {}
    try:
        for f in cls.fields:
            if f.key not in table:
                if f.required:
                    allowed = f"; allowed: {clean_list(choices(f, scn), 24)}" if f.type == "name" else ""
                    raise EventFieldError(f.key, f"required field is missing ({f.label}){allowed}")
                values[f.name] = f.default
                continue
            values[f.name] = _convert(f, table[f.key], scn)
        event = cls(**values)
        event.check(scn)
    except EventFieldError as err:
        raise ScenarioError(src, f"{path}.{err.key}", err.message) from None
    return event


def blank_event(kind: str, scn: Scenario, taken: Sequence[Event] = ()) -> Event:
    """A new event of ``kind`` on day 1 with the first allowed values, for the editor to change.

    Among the allowed combinations it prefers one that keeps the event list valid together with
    ``taken`` (e.g. an endorsement by a candidate who has not declared yet).

    Raises:
        ScenarioError: when the scenario has nothing this kind of event could name.
    """
    if kind not in EVENT_KINDS:
        raise ScenarioError(scn.path, "events.kind", f"{clean_text(kind)} is not an event kind; allowed: "
                            f"{', '.join(EVENT_KINDS)}")
    cls = EVENT_KINDS[kind]
    options: list[list[Any]] = []
    for f in cls.fields:
        if f.name == "day":
            options.append([1])
        elif f.type == "name" and (f.required or f.default is None):
            allowed = choices(f, scn)
            options.append(allowed + ([None] if not f.required else []))
        else:
            options.append([f.default])
    first_valid = None
    for combo in itertools.islice(itertools.product(*options), 2000):
        values = dict(zip([f.name for f in cls.fields], combo, strict=True))
        if any(v is None and f.required for f, v in zip(cls.fields, combo, strict=True)):
            continue
        event = cls(**values)  # the declared fields, checked next
        try:
            event.check(scn)
        except EventFieldError:
            continue
        first_valid = first_valid or event
        try:
            check_event_list(scn, list(taken) + [event])
        except ScenarioError:
            continue
        return event
    if first_valid is not None:
        return first_valid
    raise ScenarioError(scn.path, "events.kind", f"this scenario has nothing a {cls.label} event could name")


def check_event_list(scn: Scenario, events: Sequence[Event], paths: Sequence[str] | None = None) -> None:
    """Rules across events: each event's own check, and a candidate declares (endorses or stays
    neutral) at most once. ``paths`` name the events in messages (default ``events[i]``)."""
    paths = paths or [f"events[{i}]" for i in range(len(events))]
    declared: dict[str, str] = {}
    candidates = {c.name for c in scn.candidates}
    for ev, path in zip(events, paths, strict=True):
        for f in ev.fields:
            value = getattr(ev, f.name)
            if value is None and not f.required:
                continue
            try:
                _convert(f, value, scn)
            except EventFieldError as err:
                raise ScenarioError(scn.path, f"{path}.{err.key}", err.message) from None
        try:
            ev.check(scn)
        except EventFieldError as err:
            raise ScenarioError(scn.path, f"{path}.{err.key}", err.message) from None
        by = getattr(ev, "by", None)
        if getattr(ev, "declares", False) and by in candidates:
            if by in declared:
                raise ScenarioError(scn.path, f"{path}.by", f"{by} already declared in {declared[by]}; "
                                    "a candidate endorses or declares neutrality at most once")
            declared[by] = path


def markdown_reference() -> str:
    """The event reference of ``docs/scenarios.md``: every kind with its fields (generated)."""
    out = []
    for name, cls in EVENT_KINDS.items():
        out += [f"### `{name}`: {cls.label}", "", cls.meaning, "",
                "| field | type | required | default | allowed | meaning |", "|---|---|---|---|---|---|"]
        for f in cls.fields:
            if f.type == "number":
                allowed = f.range_text()
            elif f.type == "name":
                allowed = " or ".join(f.names).replace("_", " ") + " names"
            elif f.type == "day":
                allowed = "1 .. election_day - 1"
            else:
                allowed = "any text"
            default = "" if f.required else ("" if f.default in (None, "") else f"{f.default!r}")
            out.append(f"| `{f.key}` | {f.type} | {'yes' if f.required else 'no'} | {default} | {allowed} "
                       f"| {f.meaning} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------- the kinds
@event_kind("endorse", label="endorsement",
            meaning="An eliminated candidate or an institution endorses a finalist. A candidate's own "
                    "voters (an institution's reached members) move toward the finalist and are "
                    "mobilised; its activists follow with some probability; its contractors weigh "
                    "the endorsement when they choose. A scripted endorsement by a candidate replaces "
                    "the candidate's own decision; if the finalist's offer to it stands, the deal is made.")
class Endorse(Event):
    """``by`` (an eliminated candidate or institution) endorses finalist ``target``."""

    declares: ClassVar[bool] = True
    by: str = field(type="name", label="who endorses", names=("eliminated", "institution"),
                    meaning="the eliminated candidate or institution that endorses")
    target: str = field("for", type="name", label="endorses", names=("finalist",),
                        meaning="the finalist endorsed")
    strength: float = field(type="number", label="strength", default=1.0, low=0.0, high=1.0, open_low=True,
                            meaning="how strongly: 1 = a full, public call to vote; scales the effect on "
                                    "voters, activists and contractors")

    def apply(self, model: Any, index: int) -> None:
        """Act on the model today (see :meth:`Event.apply`)."""
        model.endorse(self.by, model.finalists.index(self.target), self.strength, model.streams.get("event", index),
                      scripted=True)

    def describe(self) -> str:
        """One sentence for logs and timelines."""
        return f"{self.by} endorses {self.target} (strength {self.strength:g})"

    def short(self) -> str:
        """A few words for a marker on a time axis."""
        return f"{self.by} → {self.target}"


@event_kind("neutral", label="neutrality",
            meaning="An eliminated candidate declares no endorsement (vote by conscience). Its voters "
                    "get no cue (they stay as demobilised as the loss of their candidate left them); "
                    "its contractors decide without their patron's word. A scripted neutrality "
                    "replaces the candidate's own decision.")
class Neutral(Event):
    """Eliminated candidate ``by`` declares no endorsement."""

    declares: ClassVar[bool] = True
    by: str = field(type="name", label="who stays neutral", names=("eliminated",),
                    meaning="the eliminated candidate who declares neutrality")

    def apply(self, model: Any, index: int) -> None:
        """Act on the model today (see :meth:`Event.apply`)."""
        model.declare_neutral(self.by, scripted=True)

    def describe(self) -> str:
        """One sentence for logs and timelines."""
        return f"{self.by} declares neutrality"

    def short(self) -> str:
        """A few words for a marker on a time axis."""
        return f"{self.by} neutral"


@event_kind("activists_defect", label="activists defect",
            meaning="A share of a candidate's activists move to a finalist's camp, spread evenly "
                    "over the days from `day` to `until`.")
class ActivistsDefect(Event):
    """A ``share`` of ``source``'s activists move to ``target``'s camp over days day..until."""

    source: str = field("from", type="name", label="activists of", names=("candidate",),
                        meaning="the candidate whose activists move")
    target: str = field("to", type="name", label="move to", names=("finalist",),
                        meaning="the finalist whose camp they join")
    share: float = field(type="number", label="share who move", low=0.0, high=1.0, open_low=True,
                         meaning="fraction of the source's activists (at the first day) who move")
    until: int = field(type="day", label="until day", default=None,
                       meaning="last day of the move (default: the same day)")

    def __post_init__(self) -> None:
        if self.until is None:
            object.__setattr__(self, "until", self.day)

    def check(self, scn: Scenario) -> None:
        """Rules across this kind's fields (see :meth:`Event.check`)."""
        if self.source == self.target:
            raise EventFieldError("to", "must differ from 'from'")
        if not self.day <= self.until <= scn.election_day - 1:
            raise EventFieldError("until", f"{self.until} is not allowed; allowed: {self.day}.."
                                  f"{scn.election_day - 1} (from 'day' to the last campaign day)")

    def active_on(self, day: int) -> bool:
        """Whether the event acts on campaign day ``day``."""
        return self.day <= day <= self.until

    def apply(self, model: Any, index: int) -> None:
        """Act on the model today (see :meth:`Event.apply`)."""
        model.defect_activists(index, self)

    def describe(self) -> str:
        """One sentence for logs and timelines."""
        span = f"days {self.day}-{self.until}" if self.until > self.day else f"day {self.day}"
        return f"{self.share:.0%} of {self.source}'s activists move to {self.target} ({span})"

    def short(self) -> str:
        """A few words for a marker on a time axis."""
        return f"{self.source} activists → {self.target}"


@event_kind("contractor_realign", label="contractor realigns",
            meaning="A named contractor, or all contractors of a patron, instruct their blocs for a "
                    "finalist or sit the runoff out (`to = \"none\"`). Overrides their own choice.")
class ContractorRealign(Event):
    """A named contractor, or all contractors of ``patron``, switch to ``target`` or sit out."""

    target: str = field("to", type="name", label="realigns to", names=("finalist", "sit_out"),
                        meaning="the finalist the bloc is instructed for, or none (sit out)")
    contractor: str | None = field(type="name", label="contractor", default=None, names=("contractor",),
                                   meaning="one contractor by name (give this or patron)")
    patron: str | None = field(type="name", label="all contractors of", default=None, names=("patron",),
                               meaning="every contractor of this candidate (give this or contractor)")

    def check(self, scn: Scenario) -> None:
        """Rules across this kind's fields (see :meth:`Event.check`)."""
        if (self.contractor is None) == (self.patron is None):
            raise EventFieldError("contractor", "give exactly one of 'contractor' (a name) or 'patron' "
                                  "(all of a candidate's)")

    def apply(self, model: Any, index: int) -> None:
        """Act on the model today (see :meth:`Event.apply`)."""
        side = -1 if self.target == SIT_OUT else model.finalists.index(self.target)
        for c in model.contractors:
            if c.name == self.contractor or (self.patron is not None and c.patron_name == self.patron):
                c.align(side, how="scripted")

    def describe(self) -> str:
        """One sentence for logs and timelines."""
        who = self.contractor if self.contractor else f"all contractors of {self.patron}"
        to = "sit out" if self.target == SIT_OUT else f"realign to {self.target}"
        return f"{who} {to}"

    def short(self) -> str:
        """A few words for a marker on a time axis."""
        who = self.contractor or f"{self.patron}'s contractors"
        return f"{who} → {self.target}"


@event_kind("offer", label="offer",
            meaning="A finalist offers a deal to an eliminated candidate or a contractor. It stands "
                    "until the recipient decides; the recipient weighs its value times the offerer's "
                    "capacity to deliver (the finalist's `deliver`). Taking it means endorsing (a "
                    "candidate) or instructing for (a contractor) the offerer; a deal taken by a "
                    "candidate also binds its contractors' terms, and costs the offerer the share "
                    "of its own activists and voters who object to the partner (`backlash`).")
class Offer(Event):
    """Finalist ``by`` offers ``target`` (an eliminated candidate or a contractor) a deal."""

    by: str = field(type="name", label="finalist offering", names=("finalist",),
                    meaning="the finalist who makes the offer")
    target: str = field("to", type="name", label="offered to", names=("eliminated", "contractor"),
                        meaning="the eliminated candidate or contractor offered the deal")
    value: float = field(type="number", label="value", default=1.0, low=0.0, high=1.0, open_low=True,
                         meaning="worth of the deal if delivered: 1 = the most a finalist can offer (for a "
                                 "candidate, the No. 2 slot and a share of the leadership); in utility "
                                 "units of the recipient's choice")
    backlash: float = field(type="number", label="backlash if taken", default=0.0, low=0.0, high=1.0,
                            meaning="share of the offerer's own activists (who defect to the rival) and "
                                    "voters (who lose their cue) that object if the deal is made")

    def apply(self, model: Any, index: int) -> None:
        """Act on the model today (see :meth:`Event.apply`)."""
        model.make_offer(model.finalists.index(self.by), self.target, self.value, self.backlash, self.day)

    def describe(self) -> str:
        """One sentence for logs and timelines."""
        cost = f", backlash {self.backlash:.0%}" if self.backlash else ""
        return f"{self.by} offers {self.target} a deal (value {self.value:g}{cost})"

    def short(self) -> str:
        """A few words for a marker on a time axis."""
        return f"{self.by} offers {self.target}"


@event_kind("appeal", label="appeal to voters",
            meaning="A finalist appeals directly to an eliminated candidate's voters over the "
                    "candidate's head (\"decide for yourselves\"). The voters it reaches move toward "
                    "the finalist as under an endorsement of the appeal's strength.")
class Appeal(Event):
    """Finalist ``by`` appeals to the round-1 voters of eliminated candidate ``target``."""

    by: str = field(type="name", label="finalist appealing", names=("finalist",),
                    meaning="the finalist who makes the appeal")
    target: str = field("to", type="name", label="to the voters of", names=("eliminated",),
                        meaning="the eliminated candidate whose round-1 voters are addressed")
    strength: float = field(type="number", label="strength", default=0.5, low=0.0, high=1.0, open_low=True,
                            meaning="effect on a reached voter relative to a full endorsement by its own "
                                    "candidate (1 = as strong)")
    reach: float = field(type="number", label="reach", default=0.5, low=0.0, high=1.0, open_low=True,
                         meaning="share of those voters the appeal reaches")

    def apply(self, model: Any, index: int) -> None:
        """Act on the model today (see :meth:`Event.apply`)."""
        model.appeal(model.finalists.index(self.by), self.target, self.strength, self.reach,
                     model.streams.get("event", index))

    def describe(self) -> str:
        """One sentence for logs and timelines."""
        return (f"{self.by} appeals to {self.target}'s voters: decide for yourselves (strength "
                f"{self.strength:g}, reach {self.reach:.0%})")

    def short(self) -> str:
        """A few words for a marker on a time axis."""
        return f"{self.by} appeals to {self.target}'s voters"


@event_kind("insult", label="insult",
            meaning="A finalist slights an eliminated candidate: the candidate's affinity with the "
                    "finalist falls by `amount` (on the -1..1 scale) before it decides.")
class Insult(Event):
    """Finalist ``by`` insults eliminated candidate ``target``: its affinity with ``by`` falls."""

    by: str = field(type="name", label="finalist", names=("finalist",), meaning="the finalist who gives offence")
    target: str = field("to", type="name", label="offends", names=("eliminated",),
                        meaning="the eliminated candidate offended")
    amount: float = field(type="number", label="amount", default=0.3, low=0.0, high=2.0, open_low=True,
                          meaning="fall of the candidate's affinity with the finalist (affinity stays in -1..1)")

    def apply(self, model: Any, index: int) -> None:
        """Act on the model today (see :meth:`Event.apply`)."""
        model.change_affinity(self.target, model.finalists.index(self.by), -self.amount, self.describe())

    def describe(self) -> str:
        """One sentence for logs and timelines."""
        return f"{self.by} offends {self.target} (affinity -{self.amount:g})"

    def short(self) -> str:
        """A few words for a marker on a time axis."""
        return f"{self.by} offends {self.target}"


@event_kind("praise", label="praise",
            meaning="A finalist courts an eliminated candidate (a visit, public praise): the "
                    "candidate's affinity with the finalist rises by `amount` before it decides.")
class Praise(Event):
    """Finalist ``by`` praises eliminated candidate ``target``: its affinity with ``by`` rises."""

    by: str = field(type="name", label="finalist", names=("finalist",), meaning="the finalist who courts")
    target: str = field("to", type="name", label="courts", names=("eliminated",),
                        meaning="the eliminated candidate courted")
    amount: float = field(type="number", label="amount", default=0.3, low=0.0, high=2.0, open_low=True,
                          meaning="rise of the candidate's affinity with the finalist (affinity stays in -1..1)")

    def apply(self, model: Any, index: int) -> None:
        """Act on the model today (see :meth:`Event.apply`)."""
        model.change_affinity(self.target, model.finalists.index(self.by), self.amount, self.describe())

    def describe(self) -> str:
        """One sentence for logs and timelines."""
        return f"{self.by} courts {self.target} (affinity +{self.amount:g})"

    def short(self) -> str:
        """A few words for a marker on a time axis."""
        return f"{self.by} courts {self.target}"
