"""The scenario: the data that describe one runoff, and their validating loader.

A scenario is a TOML file (format in ``docs/scenarios.md``) giving the roll, the round-1 count,
the two finalists, optional sectors, contractors, activists and institutions, the events between
the rounds (kinds declared in :mod:`runoff_abm.model.events`), parameter overrides and the
observed runoff result. :func:`load_scenario` turns a built-in name or a file into an immutable
:class:`Scenario` or raises :class:`ScenarioError` naming the file, the field and what is
allowed. The simulation never reads ``observed``. The built-in scenario files live in the
data package :mod:`runoff_abm.scenarios`.
"""

from __future__ import annotations

import builtins
import difflib
import math
import os
import re
import stat
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from runoff_abm.model.errors import ParameterError, ScenarioError, clean_list, clean_text, one_line
from runoff_abm.model.events import SIT_OUT, Event, check_event_list, parse_event
from runoff_abm.model.limits import DEFAULT_LIMITS, Limits
from runoff_abm.model.params import Params
from runoff_abm.scenarios import BUILTIN_DIR, DEFAULT_SCENARIO, builtin_names

__all__ = [
    "ScenarioError", "Scenario", "CandidateSpec", "SectorSpec", "ContractorSpec", "InstitutionSpec",
    "Observed", "Pattern", "BUILTIN_DIR", "DEFAULT_SCENARIO", "builtin_names", "load_scenario", "load_scenario_bytes",
    "parse_scenario", "TableReader", "RESERVED_NAMES", "read_regular_file", "parse_toml_bytes", "FileProblem",
    "ELECTORATES",
]


# --------------------------------------------------------------------------- data classes
@dataclass(frozen=True)
class CandidateSpec:
    """A round-1 candidate: name, votes, whether a finalist, activists, leaning of its voters; for
    an eliminated candidate its affinity with each finalist and its own consultation window; for
    a finalist its credible capacity to deliver what it offers."""

    name: str
    votes: int
    finalist: bool
    activists: int = 0
    lean: float = 0.5
    full_name: str = ""
    affinity: dict[str, float] = field(default_factory=dict)  # eliminated: finalist -> [-1, 1]
    deliver: float | None = None       # finalist: chance it can deliver what it offers (None = 1)
    consult_days: int | None = None    # eliminated: its decision day (None = parameter consult_days)


@dataclass(frozen=True)
class SectorSpec:
    """A sector of the roll with its share, leaning, and (optionally) its round-1 record."""

    name: str
    share: float
    lean: float = 0.5
    turnout: float | None = None
    votes: dict[str, float] | None = None
    description: str = ""
    stations: int | None = None        # polling stations of the sector (None = share of the total)


@dataclass(frozen=True)
class ContractorSpec:
    """A poll contractor: its bloc (round-1 votes it delivered), patron, sector, compliance."""

    name: str
    patron: str
    bloc: int
    sector: str | None = None
    compliance: float | None = None
    capacity: float | None = None
    autonomy: float | None = None      # daily chance of deciding before its patron (None = parameter)
    stations: int | None = None        # polling stations its bloc votes in (None = the fewest that hold it)


@dataclass(frozen=True)
class InstitutionSpec:
    """A non-candidate endorser (a union, a movement, a mayor) and the sectors it reaches."""

    name: str
    sectors: tuple[str, ...] = ()
    reach: float = 0.3


@dataclass(frozen=True)
class Pattern:
    """A qualitative observed pattern: outcome statistic ``stat`` ``op`` ``value`` (e.g.
    ``sector.arab.turnout_change < 0``). Used by calibration as a constraint and by validation."""

    stat: str
    op: str
    value: float
    note: str = ""

    def holds(self, measured: float) -> bool:
        """True when ``measured`` satisfies the pattern (``stat op value``)."""
        return measured < self.value if self.op == "<" else measured > self.value

    def describe(self) -> str:
        """The pattern in one line, e.g. ``turnout_change < 0``."""
        return f"{self.stat} {self.op} {self.value:g}"


@dataclass(frozen=True)
class Observed:
    """The observed runoff, for comparison only (the simulation never reads it)."""

    votes: dict[str, int]
    turnout: float | None = None
    source: str = ""
    patterns: tuple[Pattern, ...] = ()

    def shares(self) -> dict[str, float]:
        """Each finalist's share of the two finalists' votes."""
        total = sum(self.votes.values())
        return {k: v / total for k, v in self.votes.items()} if total else {}


@dataclass(frozen=True)
class Scenario:
    """One runoff, as read from a scenario file. Immutable; events sorted by day (stable)."""

    name: str
    roll: int
    election_day: int
    finalists: tuple[str, str]
    candidates: tuple[CandidateSpec, ...]
    blank: int = 0
    sectors: tuple[SectorSpec, ...] = ()
    contractors: tuple[ContractorSpec, ...] = ()
    institutions: tuple[InstitutionSpec, ...] = ()
    events: tuple[Event, ...] = ()
    parameters: dict[str, float | int] = field(default_factory=dict)
    observed: Observed | None = None
    title: str = ""
    description: str = ""
    sources: dict[str, str] = field(default_factory=dict)
    rules: dict[str, str] = field(default_factory=dict)
    stations: int | None = None        # polling stations on the roll (None = one per sector)
    electorate: str = "members"        # who may vote in the runoff (ELECTORATES)
    path: str = "<memory>"

    @property
    def abstained(self) -> int:
        """Members on the roll who cast no round-1 ballot."""
        return self.roll - self.round1_ballots

    @property
    def round1_ballots(self) -> int:
        """Round-1 ballots cast: every candidate's votes plus blank ballots."""
        return sum(c.votes for c in self.candidates) + self.blank

    @property
    def categories(self) -> tuple[str, ...]:
        """Round-1 categories in order: each candidate, then ``blank``, then ``abstained``."""
        return tuple(c.name for c in self.candidates) + ("blank", "abstained")

    def round1_counts(self) -> tuple[int, ...]:
        """Round-1 count per category (see :attr:`categories`); sums to the roll."""
        return tuple(c.votes for c in self.candidates) + (self.blank, self.abstained)

    def candidate(self, name: str) -> CandidateSpec:
        """The candidate called ``name`` (StopIteration if there is none)."""
        return next(c for c in self.candidates if c.name == name)

    @property
    def eliminated(self) -> tuple[str, ...]:
        """Names of the candidates who are not finalists, in file order."""
        return tuple(c.name for c in self.candidates if not c.finalist)

    def with_events(self, events) -> Scenario:
        """A copy with another event list, checked like a file's (messages number the events
        as given, from 0); events are kept sorted by day (stable)."""
        events = list(events)
        check_event_list(self, events)
        return replace(self, events=tuple(sorted(events, key=lambda e: e.day)))

    def with_parameters(self, **values) -> Scenario:
        """A copy whose ``[parameters]`` overrides are updated with ``values`` (checked)."""
        merged = {**self.parameters, **values}
        try:
            Params.from_mapping(merged)
        except ParameterError as err:
            raise ScenarioError(self.path, f"parameters.{err.name}", err.message) from None
        return replace(self, parameters=merged)

    def to_dict(self) -> dict[str, Any]:
        """The scenario as the tables of a self-contained scenario file (JSON- and TOML-ready).

        Everything is resolved: ``base`` and ``parameters_from`` are merged in, the round-1
        abstainers computed, rule files given as absolute paths. :func:`parse_scenario` reads
        it back to an equal scenario (only :attr:`path`, the file it came from, is not kept), so
        a result that records it can be rerun even if the original file changes or is gone.
        """
        def opt(d: dict[str, Any], **items: Any) -> dict[str, Any]:
            return {**d, **{k: v for k, v in items.items() if v is not None}}

        out: dict[str, Any] = {
            "name": self.name, "title": self.title, "description": self.description, "roll": self.roll,
            "election_day": self.election_day, "finalists": list(self.finalists),
            "round1": {"blank": self.blank, "abstained": self.abstained},
            "candidates": [opt({"name": c.name, "full_name": c.full_name, "votes": c.votes, "activists": c.activists,
                                "lean": c.lean}, affinity=dict(c.affinity) or None, deliver=c.deliver,
                               consult_days=c.consult_days) for c in self.candidates],
        }
        if self.stations is not None:
            out["stations"] = self.stations
        if self.electorate != "members":
            out["electorate"] = self.electorate
        if self.sectors:
            out["sectors"] = [opt({"name": s.name, "share": s.share, "lean": s.lean, "description": s.description},
                                  turnout=s.turnout, votes=None if s.votes is None else dict(s.votes),
                                  stations=s.stations)
                              for s in self.sectors]
        if self.contractors:
            out["contractors"] = [opt({"name": c.name, "patron": c.patron, "bloc": c.bloc}, sector=c.sector,
                                      compliance=c.compliance, capacity=c.capacity, autonomy=c.autonomy,
                                      stations=c.stations) for c in self.contractors]
        if self.institutions:
            out["institutions"] = [{"name": i.name, "sectors": list(i.sectors), "reach": i.reach}
                                   for i in self.institutions]
        out["events"] = [e.to_table() for e in self.events]
        out["parameters"] = dict(self.parameters)
        if self.observed is not None:
            o = self.observed
            out["observed"] = opt({"votes": dict(o.votes), "source": o.source,
                                   "patterns": [{"stat": p.stat, "op": p.op, "value": p.value, "note": p.note}
                                                for p in o.patterns]}, turnout=o.turnout)
        if self.sources:
            out["sources"] = dict(self.sources)
        if self.rules:
            out["rules"] = {k: self._absolute_rule(v) for k, v in self.rules.items()}
        return out

    def _absolute_rule(self, spec: str) -> str:
        """A ``file.py:function`` rule with its file made absolute (relative to this scenario's file)."""
        target, _, func = spec.rpartition(":")
        if not target.endswith(".py") or Path(target).is_absolute() or self.path in ("<memory>", ""):
            return spec
        return f"{(Path(self.path).parent / target).resolve()}:{func}"


# --------------------------------------------------------------------------- the loader
#: Names the model itself uses for round-1 categories, outcomes and event targets; no candidate,
#: contractor or institution may take one (compared case-insensitively).
RESERVED_NAMES = ("tie", "abstained", "blank", SIT_OUT, "total")

#: Who may vote in the runoff. ``members``: the roll (a closed membership vote; round-1
#: abstainers may come back). ``open``: an open primary with no roll; ``roll`` is then a notional
#: pool of potential voters (default: twice the round-1 ballots), so that runoff turnout can rise
#: above round 1 (new voters are the pool's re-entering "abstainers"). ``round1_voters``: only
#: round-1 voters may vote in the runoff (round-1 abstainers cannot).
ELECTORATES = ("members", "open", "round1_voters")

#: Whole numbers in a scenario are at most this (exact in float64; far above any real roll).
MAX_WHOLE = 2**53

_BOM = b"\xef\xbb\xbf"


def load_scenario(name_or_path: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> Scenario:
    """Load a built-in scenario by name, or a scenario file by path.

    Args:
        name_or_path: a built-in name (``runoff scenarios``) or a path to a ``.toml`` file
            (relative to the working directory).
        limits: what the file may ask for (:mod:`runoff_abm.model.limits`).

    Raises:
        ScenarioError: if the name is unknown, the file unreadable or not a regular file, or its
            content invalid or beyond ``limits``. Loading never executes code and never blocks
            on a FIFO or device.
    """
    text = str(name_or_path)
    path = Path(text)
    if not (path.suffix == ".toml" or "/" in text or os.sep in text or _lexists(path)):
        if text not in builtin_names():
            close = difflib.get_close_matches(text, builtin_names(), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise ScenarioError(text, "", f"no such built-in scenario{hint}; built-ins: "
                                f"{', '.join(builtin_names())}; or give a path to a .toml file")
        path = BUILTIN_DIR / f"{text}.toml"
    try:
        raw = read_regular_file(path, limits.max_file_bytes)
    except FileProblem as err:
        raise ScenarioError(str(path), "", f"{err}; give an existing .toml file or a built-in name "
                            f"({', '.join(builtin_names())})") from None
    return load_scenario_bytes(raw, str(path), limits=limits)


def load_scenario_bytes(data: bytes, source: str, *, limits: Limits = DEFAULT_LIMITS) -> Scenario:
    """Load a scenario from the bytes of a file (e.g. an upload) named ``source`` in messages.

    With ``limits.base_paths`` False (uploads), ``base`` may only name a built-in scenario and
    ``parameters_from`` is refused; otherwise relative paths resolve against ``source``'s folder.
    Every field of ``limits`` is enforced; nothing in the file is executed.

    Raises:
        ScenarioError: naming ``source``, the field and what is allowed (for any bad input).
    """
    data_dict = parse_toml_bytes(data, source, limits, ScenarioError)
    if not limits.base_paths:
        if "parameters_from" in data_dict:
            raise ScenarioError(source, "parameters_from", "not allowed in an uploaded file; put the parameters "
                                "in [parameters]")
        base = data_dict.get("base")
        if base is not None and (not isinstance(base, str) or base not in builtin_names()):
            raise ScenarioError(source, "base", f"an uploaded file may only build on a built-in scenario; "
                                f"allowed: {', '.join(builtin_names())}")
    data_dict = _inherit(data_dict, source, limits, seen=(_resolved(Path(source)),))
    return parse_scenario(data_dict, source=source, limits=limits)


class FileProblem(Exception):
    """Why a file named by the user cannot be read (the caller names the file and field)."""


def _lexists(path: Path) -> bool:
    try:
        os.lstat(path)
    except (OSError, ValueError):
        return False
    return True


def _resolved(path: Path) -> str:
    try:
        return str(path.resolve())
    except (OSError, RuntimeError, ValueError):
        return str(path)


def read_regular_file(path: str | Path, limit: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    A directory, FIFO, socket or device is refused from its ``stat`` before it is opened (and
    again on the open descriptor, which is opened non-blocking), so a FIFO or ``/dev/zero``
    named as a scenario, ``base`` or ``parameters_from`` can neither block nor fill memory.

    Raises:
        FileProblem: one clause saying what is wrong (e.g. ``not a regular file (a FIFO)``).
    """
    try:
        st = os.stat(path)
    except (OSError, ValueError) as err:
        raise FileProblem(f"cannot read the file ({getattr(err, 'strerror', None) or err})") from None
    _check_regular(st.st_mode, st.st_size, limit)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise FileProblem(f"cannot read the file ({err.strerror})") from None
    try:
        st = os.fstat(fd)
        _check_regular(st.st_mode, st.st_size, limit)
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as err:
        raise FileProblem(f"cannot read the file ({err.strerror})") from None
    finally:
        os.close(fd)
    if total > limit:
        raise FileProblem(f"the file is larger than {limit:,} bytes, the most a scenario file may be")
    return b"".join(chunks)


def _check_regular(mode: int, size: int, limit: int) -> None:
    if stat.S_ISDIR(mode):
        raise FileProblem("is a directory, not a file")
    if not stat.S_ISREG(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
        raise FileProblem(f"is not a regular file ({kind})")
    if size > limit:
        raise FileProblem(f"the file is {size:,} bytes; a scenario file is at most {limit:,}")


_TOKENS = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}]',
                     re.DOTALL)


def _bracket_depth(text: str, most: int) -> int:
    """Deepest nesting of ``[`` and ``{`` outside strings and comments (stops past ``most``)."""
    depth = deepest = 0
    for m in _TOKENS.finditer(text):
        tok = m.group()
        if tok in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > most:
                    return deepest
        elif tok in "]}":
            depth = max(0, depth - 1)
    return deepest


def _data_depth(data: Any, most: int) -> int:
    """Deepest nesting of tables and arrays in parsed data (iterative; stops past ``most``)."""
    stack = [(data, 0)]
    deepest = 0
    while stack:
        node, d = stack.pop()
        children: Iterable[Any]
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        d += 1
        if d > deepest:
            deepest = d
            if deepest > most:
                return deepest
        stack.extend((c, d) for c in children if isinstance(c, (dict, list)))
    return deepest


def parse_toml_bytes(data: bytes, source: str, limits: Limits = DEFAULT_LIMITS,
                     error: type[ScenarioError] = ScenarioError) -> dict[str, Any]:
    """Parse the bytes of a TOML file within ``limits`` (size, nesting); ``error`` otherwise.

    A UTF-8 byte-order mark is accepted. Nesting is checked on the text before parsing (so a
    file nested 500 deep is refused without recursing) and on the parsed data (dotted keys).
    """
    if len(data) > limits.max_file_bytes:
        raise error(source, "", f"the file is {len(data):,} bytes; a scenario file is at most "
                    f"{limits.max_file_bytes:,}")
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise error(source, "", "not UTF-8 text; a scenario is a TOML file") from None
    too_deep = f"nested deeper than {limits.max_nesting} tables and arrays, the most allowed"
    if _bracket_depth(text, limits.max_nesting) > limits.max_nesting:
        raise error(source, "", too_deep)
    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise error(source, "", f"TOML syntax error: {one_line(str(err), 200)}") from None
    except ValueError as err:  # e.g. an integer of more than 4300 digits
        raise error(source, "", f"TOML value error: {one_line(str(err), 120)}") from None
    except RecursionError:
        raise error(source, "", too_deep) from None
    if _data_depth(parsed, limits.max_nesting) > limits.max_nesting:
        raise error(source, "", too_deep)
    return parsed


def _inherit(data: dict[str, Any], source: str, limits: Limits, seen: tuple[str, ...],
             paths_allowed: bool | None = None) -> dict[str, Any]:
    """Resolve ``base = "NAME-or-PATH"``: start from the base's fields, replace the given ones.

    Top-level fields replace the base's whole field (an ``events`` list replaces the base's list);
    the ``[parameters]`` table is merged key by key. Paths are relative to the child file. With
    ``paths_allowed`` False only built-in names may be bases (a built-in's own bases always are).
    """
    if "base" not in data:
        return data
    if paths_allowed is None:
        paths_allowed = limits.base_paths
    base = data["base"]
    names = builtin_names()
    if not isinstance(base, str) or not base or len(base) > 4096:
        raise ScenarioError(source, "base", f"expected a scenario name or path, got {clean_text(base)}")
    if len(seen) > limits.max_base_depth:
        raise ScenarioError(source, "base", f"the chain of base files is deeper than {limits.max_base_depth}, "
                            "the most allowed")
    builtin = base in names and not base.endswith(".toml")
    if builtin:
        base_path = BUILTIN_DIR / f"{base}.toml"
    elif not paths_allowed:
        raise ScenarioError(source, "base", f"{clean_text(base)} is not allowed here; allowed: built-in "
                            f"scenarios ({', '.join(names)})")
    else:
        base_path = Path(source).parent / base
    key = _resolved(base_path)
    if key in seen:
        raise ScenarioError(source, "base", f"{clean_text(base)} leads back to itself (cycle of bases)")
    try:
        raw = read_regular_file(base_path, limits.max_file_bytes)
    except FileProblem as err:
        raise ScenarioError(source, "base", f"{clean_text(base)}: {err}; give a built-in name "
                            f"({', '.join(names)}) or a path relative to this file") from None
    base_data = parse_toml_bytes(raw, str(base_path), limits)
    base_data = _inherit(base_data, str(base_path), limits, seen + (key,), paths_allowed=True if builtin else None)
    folder = Path(key).parent  # the base file's own folder: its relative paths stay relative to it
    ref = base_data.get("parameters_from")
    if isinstance(ref, str) and not Path(ref).is_absolute():
        base_data["parameters_from"] = str(folder / ref)
    rules = base_data.get("rules")
    if isinstance(rules, dict):  # rule files too
        base_data["rules"] = {k: (str(folder / v) if isinstance(v, str) and v.rpartition(":")[0].endswith(".py")
                                  and not Path(v).is_absolute() else v) for k, v in rules.items()}
    merged = {k: v for k, v in base_data.items() if k not in ("name", "title", "description")}
    for k, v in data.items():
        if k == "base":
            continue
        if k == "parameters" and isinstance(v, dict) and isinstance(merged.get(k), dict):
            merged[k] = {**merged[k], **v}
        else:
            merged[k] = v
    return merged


class TableReader:
    """Typed access to one TOML table that records the field path for error messages.

    Every value it echoes in a message goes through :func:`clean_text` (control characters
    escaped, long values cut), so a file cannot forge lines in messages.
    """

    error: type[ScenarioError] = ScenarioError

    def __init__(self, table: Any, path: builtins.str, source: builtins.str, allowed: Mapping[builtins.str, object]):
        self.source = source
        self.path = path
        if not isinstance(table, dict):
            self.fail("", f"expected a table, got {_type_name(table)}")
        for k in table:
            if k not in allowed:
                close = difflib.get_close_matches(k, allowed, n=1) if len(k) <= 100 else []
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.fail(k, f"unknown field{hint}; allowed here: {', '.join(allowed)}")
        self.table = table

    def where(self, key: builtins.str) -> builtins.str:
        """The field path of ``key`` in this table, for messages (long or odd keys cleaned)."""
        if not key:
            return self.path
        if not (key.isprintable() and len(key) <= 60):
            key = clean_text(key, 60)
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: builtins.str, message: builtins.str):
        """Raise this reader's error for field ``key`` with ``message``."""
        raise self.error(self.source, self.where(key), message)

    def has(self, key: builtins.str) -> bool:
        """True when the table holds ``key``."""
        return key in self.table

    def int(self, key: builtins.str, *, default=None, low=None, high=None, required=False):
        """An integer field in ``[low, high]`` (booleans and floats refused; ``default`` if absent)."""
        if key not in self.table:
            if required:
                self.fail(key, "required field is missing (an integer)")
            return default
        v = self.table[key]
        if isinstance(v, bool) or not isinstance(v, int):
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            else:
                self.fail(key, f"expected a whole number, got {clean_text(v)}")
        if abs(v) > MAX_WHOLE:
            self.fail(key, f"{clean_text(v, 30)} is too large; whole numbers here are at most {MAX_WHOLE:,} (2**53)"
                      + (f"; allowed: {_range(low, high)}" if low is not None or high is not None else ""))
        if low is not None and v < low:
            self.fail(key, f"{v} is too small; allowed: {_range(low, high)}")
        if high is not None and v > high:
            self.fail(key, f"{v} is too large; allowed: {_range(low, high)}")
        return v

    def float(self, key: builtins.str, *, default=None, low=None, high=None, required=False, open_low=False):
        """A finite number field in ``[low, high]`` (``(low, high]`` with ``open_low``)."""
        if key not in self.table:
            if required:
                self.fail(key, "required field is missing (a number)")
            return default
        v = self.table[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, int) and abs(v) > MAX_WHOLE) \
                or not math.isfinite(v):
            self.fail(key, f"expected a finite number, got {clean_text(v, 40)}")
        v = float(v)
        if low is not None and (v < low or (open_low and v <= low)):
            self.fail(key, f"{v:g} is out of range; allowed: {_range(low, high, open_low)}")
        if high is not None and v > high:
            self.fail(key, f"{v:g} is out of range; allowed: {_range(low, high, open_low)}")
        return v

    def str(self, key: builtins.str, *, default=None, required=False, choices=None, multiline=False):
        """A string field; ``choices`` (a list or dict) restricts it; free text may not hold
        control characters (newlines and tabs only when ``multiline``)."""
        if key not in self.table:
            if required:
                self.fail(key, "required field is missing (a string)"
                          + (f"; allowed: {clean_list(choices)}" if choices else ""))
            return default
        v = self.table[key]
        if not isinstance(v, str):
            self.fail(key, f"expected a string, got {clean_text(v)}")
        if choices is not None:
            if v not in choices:
                close = difflib.get_close_matches(v, list(choices), n=1) if len(v) <= 100 else []
                hint = f" (did you mean {clean_text(close[0])}?)" if close else ""
                self.fail(key, f"{clean_text(v)} is not allowed{hint}; allowed: {clean_list(choices)}")
        elif not _clean_free_text(v, multiline):
            self.fail(key, f"{clean_text(v)} holds control characters; allowed: printable text"
                      + (", newlines and tabs" if multiline else " on one line"))
        return v

    def name(self, key: builtins.str, kind: builtins.str, max_length: builtins.int, *,
             reserved: bool = True) -> builtins.str:
        """A required name (of a candidate, sector, contractor, institution or the scenario):
        printable, non-empty, no leading or trailing space, at most ``max_length`` characters,
        and (``reserved``) not one of :data:`RESERVED_NAMES`."""
        v = self.str(key, required=True)
        if not v.strip():
            self.fail(key, f"a {kind} name must not be empty")
        if not v.isprintable():
            self.fail(key, f"{clean_text(v)} holds control or invisible characters; a {kind} name is "
                      "printable text")
        if v != v.strip():
            self.fail(key, f"{clean_text(v)} starts or ends with a space; remove it")
        if len(v) > max_length:
            self.fail(key, f"{clean_text(v, 40)} is {len(v)} characters; a {kind} name is at most {max_length}")
        if reserved and v.casefold() in RESERVED_NAMES:
            self.fail(key, f"{clean_text(v)} is reserved (the model uses it: {', '.join(RESERVED_NAMES)}); "
                      "choose another name")
        return v

    def bool(self, key: builtins.str, *, default=False):
        """A true/false field (``default`` if absent)."""
        v = self.table.get(key, default)
        if not isinstance(v, bool):
            self.fail(key, f"expected true or false, got {clean_text(v)}")
        return v

    def list(self, key: builtins.str, *, default=(), most: builtins.int | None = None,
             what: builtins.str = "entries"):
        """An array field of at most ``most`` entries (``default`` if absent)."""
        v = self.table.get(key, default)
        if not isinstance(v, (list, tuple)):
            self.fail(key, f"expected an array, got {clean_text(v)}")
        if most is not None and len(v) > most:
            self.fail(key, f"{len(v):,} {what}; at most {most:,} are allowed")
        return list(v)

    def table_of(self, key: builtins.str):
        """A sub-table field (empty if absent)."""
        v = self.table.get(key, {})
        if not isinstance(v, dict):
            self.fail(key, f"expected a table, got {clean_text(v)}")
        return v


def _type_name(v: Any) -> str:
    return {dict: "a table", list: "an array", str: "a string", bool: "a boolean", int: "a whole number",
            float: "a number"}.get(type(v), type(v).__name__)


_FREE_TEXT_OK = {"\n", "\t", "\r"}


def _clean_free_text(text: str, multiline: bool) -> bool:
    """Whether ``text`` has no control characters (newline, tab and CR only if ``multiline``);
    format characters such as right-to-left marks are allowed in free text."""
    if text.isprintable():
        return True
    for ch in text:
        if ch.isprintable() or (multiline and ch in _FREE_TEXT_OK):
            continue
        if unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
            return False
    return True


def _contractor_sector(r: TableReader, sector_names: dict[str, int]) -> str | None:
    if not r.has("sector"):
        return None
    if not sector_names:
        r.fail("sector", "this scenario has no [[sectors]]; remove the field or add sectors")
    return r.str("sector", choices=sector_names)


def _num(x) -> str:
    if isinstance(x, int) and not isinstance(x, bool):
        return str(x) if abs(x) < 10**6 else f"{x:,}"
    return f"{x:g}"


def _range(low, high, open_low=False) -> str:
    lo = "-inf" if low is None else _num(low)
    hi = "inf" if high is None else _num(high)
    return f"{'(' if open_low else '['}{lo}, {hi}]"


_TOP = {
    "name": "short identifier", "title": "one-line title", "description": "free text",
    "roll": "members eligible to vote", "election_day": "day of the runoff (round 1 = day 0)",
    "finalists": "the two candidates in the runoff", "round1": "round-1 ballots not for a candidate",
    "candidates": "round-1 candidates", "sectors": "sectors of the roll", "contractors": "poll contractors",
    "institutions": "non-candidate endorsers", "events": "events between the rounds",
    "parameters": "parameter overrides", "observed": "observed runoff result", "sources": "provenance notes",
    "base": "a scenario this one modifies (its top-level fields are inherited unless given here)",
    "parameters_from": "a TOML file whose [parameters] table is applied first (e.g. a calibration)",
    "rules": "plug-in decision rules: { turnout | choice = 'file.py:function' } (run only with --trust-rules)",
    "stations": "polling stations on the roll (apportioned to sectors by size unless a sector gives its own)",
    "electorate": "who may vote in the runoff: members (default), open, round1_voters",
}


def parse_scenario(data: dict[str, Any], source: str = "<memory>", *, limits: Limits = DEFAULT_LIMITS) -> Scenario:
    """Validate a parsed TOML document and build a :class:`Scenario` (see ``docs/scenarios.md``).

    Every count, name and value is checked against the format and ``limits``; the work is
    linear in the size of the document. Raises :class:`ScenarioError` for any bad input.
    """
    if _data_depth(data, limits.max_nesting) > limits.max_nesting:
        raise ScenarioError(source, "", f"nested deeper than {limits.max_nesting} tables and arrays, the most allowed")
    top = TableReader(data, "", source, _TOP)
    name = top.name("name", "scenario", limits.max_name_length, reserved=False)
    electorate = top.str("electorate", default="members", choices=ELECTORATES)
    roll = top.int("roll", required=electorate != "open", default=None, low=1, high=limits.max_roll)
    election_day = top.int("election_day", required=True, low=2, high=365)

    # candidates
    raw_cands = top.list("candidates", most=limits.max_candidates, what="candidates")
    if len(raw_cands) < 2:
        top.fail("candidates", "at least two [[candidates]] are required")
    cands_raw = []
    for i, c in enumerate(raw_cands):
        r = TableReader(c, f"candidates[{i}]", source,
                        {"name": "", "full_name": "", "votes": "", "activists": "", "lean": "", "finalist": "",
                         "affinity": "eliminated: { FINALIST = -1..1 }", "deliver": "finalist: 0..1",
                         "consult_days": "eliminated: its decision day"})
        cands_raw.append(r)
    names: dict[str, int] = {}  # name -> index (ordered)
    for r in cands_raw:
        n = r.name("name", "candidate", limits.max_name_length)
        if n in names:
            r.fail("name", f"duplicate candidate {clean_text(n)}; names must be unique")
        names[n] = len(names)
    finalists = top.list("finalists")
    if len(finalists) != 2 or not all(isinstance(f, str) for f in finalists) or finalists[0] == finalists[1]:
        top.fail("finalists", f"expected two different candidate names, got {clean_text(finalists)}")
    for f in finalists:
        if f not in names:
            top.fail("finalists", f"{clean_text(f)} is not a candidate; candidates: {clean_list(names)}")
    candidates = []
    for r, n in zip(cands_raw, names, strict=True):
        if r.has("finalist") and r.bool("finalist") != (n in finalists):
            r.fail("finalist", f"contradicts top-level finalists = {clean_text(finalists)}")
        finalist = n in finalists
        if finalist and (r.has("affinity") or r.has("consult_days")):
            r.fail("affinity" if r.has("affinity") else "consult_days",
                   "only for an eliminated candidate (a finalist does not decide whom to endorse)")
        if not finalist and r.has("deliver"):
            r.fail("deliver", "only for a finalist (its credible capacity to deliver what it offers)")
        affinity = {}
        if r.has("affinity"):
            at = TableReader(r.table_of("affinity"), f"{r.path}.affinity", source, {f: "" for f in finalists})
            affinity = {k: at.float(k, low=-1, high=1) for k in at.table}
        candidates.append(CandidateSpec(
            name=n, votes=r.int("votes", required=True, low=0), finalist=finalist,
            activists=r.int("activists", default=0, low=0), lean=r.float("lean", default=0.5, low=0, high=1),
            full_name=r.str("full_name", default=n), affinity=affinity,
            deliver=r.float("deliver", default=None, low=0, high=1),
            consult_days=r.int("consult_days", default=None, low=1, high=election_day - 1)))

    r1 = TableReader(top.table_of("round1"), "round1", source,
                     {"blank": "ballots cast for no listed candidate", "abstained": "members who did not vote"})
    blank = r1.int("blank", default=0, low=0)
    ballots = sum(c.votes for c in candidates) + blank
    if roll is None:  # an open electorate without a roll: a notional pool twice the round-1 ballots
        roll = 2 * ballots
        if roll < 1 or roll > limits.max_roll:
            top.fail("roll", f"the notional roll of an open electorate (twice the round-1 ballots, {roll}) must "
                     f"be in [1, {limits.max_roll}]; give roll explicitly")
    if ballots > roll:
        top.fail("roll", f"round-1 ballots ({ballots}: candidates' votes + blank) exceed the roll "
                 f"({roll}); the roll must be at least the number of ballots")
    if r1.has("abstained"):
        abst = r1.int("abstained", low=0)
        if abst != roll - ballots:
            r1.fail("abstained", f"{abst} does not add up: roll {roll} - ballots {ballots} = {roll - ballots}")
    finals_votes = [c.votes for c in candidates if c.finalist]
    if sum(finals_votes) == 0:
        top.fail("finalists", "the finalists received no round-1 votes")

    # sectors
    sectors = []
    sector_names: dict[str, int] = {}
    for i, s in enumerate(top.list("sectors", most=limits.max_sectors, what="sectors")):
        r = TableReader(s, f"sectors[{i}]", source,
                        {"name": "", "share": "", "lean": "", "turnout": "", "votes": "", "description": "",
                         "stations": "polling stations of the sector"})
        sname = r.name("name", "sector", limits.max_name_length, reserved=False)
        if sname in sector_names:
            r.fail("name", f"duplicate sector {clean_text(sname)}")
        sector_names[sname] = i
        votes = None
        if r.has("votes"):
            vt = TableReader(r.table_of("votes"), f"sectors[{i}].votes", source, names)
            votes = {k: vt.float(k, low=0) for k in vt.table}
            if sum(votes.values()) <= 0:
                r.fail("votes", "the round-1 split must have a positive total")
        sectors.append(SectorSpec(
            name=sname, share=r.float("share", required=True, low=0, high=1, open_low=True),
            lean=r.float("lean", default=0.5, low=0, high=1),
            turnout=r.float("turnout", default=None, low=0, high=1), votes=votes,
            description=r.str("description", default="", multiline=True),
            stations=r.int("stations", default=None, low=1)))
    if sectors:
        total = math.fsum(s.share for s in sectors)
        if abs(total - 1.0) > 1e-3:
            top.fail("sectors", f"sector shares add up to {total:.4f}; they must add up to 1")
    stations = top.int("stations", default=None, low=1)
    if stations is not None:
        given = [s.stations for s in sectors if s.stations is not None]
        rest = len(sectors) - len(given)
        if sum(given) + rest > stations or (rest == 0 and sectors and sum(given) != stations):
            top.fail("stations", f"{stations} does not add up with the sectors' own stations ({sum(given)} "
                     f"given, {rest} sector(s) without): the total must be the sum of the sectors' stations, "
                     "with at least one for each sector that gives none")

    # contractors
    contractors = []
    contractor_names: set[str] = set()
    blocs = dict.fromkeys(names, 0)
    for i, c in enumerate(top.list("contractors", most=limits.max_contractors, what="contractors")):
        r = TableReader(c, f"contractors[{i}]", source,
                        {"name": "", "patron": "", "bloc": "", "sector": "", "compliance": "", "capacity": "",
                         "autonomy": "daily chance of deciding before its patron",
                         "stations": "polling stations its bloc votes in"})
        cname = r.name("name", "contractor", limits.max_name_length)
        if cname in contractor_names or cname in names:
            r.fail("name", f"duplicate name {clean_text(cname)}; contractor names must be unique and differ "
                   "from the candidates'")
        contractor_names.add(cname)
        spec = ContractorSpec(
            name=cname, patron=r.str("patron", required=True, choices=names),
            bloc=r.int("bloc", required=True, low=1),
            sector=_contractor_sector(r, sector_names),
            compliance=r.float("compliance", low=0, high=1), capacity=r.float("capacity", low=0, high=1),
            autonomy=r.float("autonomy", low=0, high=1), stations=r.int("stations", default=None, low=1))
        blocs[spec.patron] += spec.bloc
        contractors.append(spec)
    for i, cand in enumerate(candidates):
        if cand.activists > cand.votes:
            cands_raw[i].fail("activists", f"{cand.activists} exceeds {cand.name}'s round-1 votes ({cand.votes}); "
                              "activists are round-1 voters of their candidate")
    for cand in candidates:
        total = blocs[cand.name]
        if total > cand.votes:
            top.fail("contractors", f"blocs of {cand.name}'s contractors ({total}) exceed "
                     f"{cand.name}'s round-1 votes ({cand.votes}); a bloc is round-1 votes delivered")

    # institutions
    institutions = []
    institution_names: set[str] = set()
    for i, t in enumerate(top.list("institutions", most=limits.max_institutions, what="institutions")):
        r = TableReader(t, f"institutions[{i}]", source, {"name": "", "sectors": "", "reach": ""})
        iname = r.name("name", "institution", limits.max_name_length)
        if iname in names or iname in institution_names or iname in contractor_names:
            r.fail("name", f"duplicate name {clean_text(iname)}; an institution cannot share a candidate's, "
                   "contractor's or other institution's name")
        institution_names.add(iname)
        secs = r.list("sectors", most=limits.max_sectors, what="sectors")
        for s in secs:
            if not isinstance(s, str) or s not in sector_names:
                r.fail("sectors", f"{clean_text(s)} is not a sector; sectors: {clean_list(sector_names) or '(none)'}")
        if len(set(secs)) != len(secs):
            r.fail("sectors", "a sector is listed twice; list each once")
        institutions.append(InstitutionSpec(name=iname, sectors=tuple(secs),
                                            reach=r.float("reach", default=0.3, low=0, high=1, open_low=True)))

    # parameters: a referenced parameter file first (e.g. `runoff calibrate` output), then our own
    params = {}
    if top.has("parameters_from"):
        ref = top.str("parameters_from")
        ref_path = Path(ref) if Path(ref).is_absolute() else Path(source).parent / ref
        if not limits.base_paths and not Path(_resolved(ref_path)).is_relative_to(BUILTIN_DIR):
            # an upload's own parameters_from is refused before inheritance; a built-in base's is fine
            top.fail("parameters_from", "not allowed in an uploaded file; put the parameters in [parameters]")
        try:
            ref_data = parse_toml_bytes(read_regular_file(ref_path, limits.max_file_bytes), str(ref_path), limits)
        except FileProblem as err:
            top.fail("parameters_from", f"{clean_text(ref)}: {err}; give a path relative to this file")
        if not isinstance(ref_data.get("parameters"), dict):
            top.fail("parameters_from", f"{clean_text(str(ref_path), 200)} has no [parameters] table")
        try:
            Params.from_mapping(ref_data["parameters"])
        except ParameterError as err:
            raise ScenarioError(str(ref_path), f"parameters.{err.name}", err.message) from None
        params.update(ref_data["parameters"])
    params.update(top.table_of("parameters"))
    try:
        Params.from_mapping(params)
    except ParameterError as err:
        raise ScenarioError(source, f"parameters.{err.name}", err.message) from None

    # observed
    observed = None
    if top.has("observed"):
        r = TableReader(top.table_of("observed"), "observed", source,
                        {"votes": "", "turnout": "", "source": "", "patterns": ""})
        vt = TableReader(r.table_of("votes"), "observed.votes", source, {f: "" for f in finalists})
        stats = {k: None for k in ["share_a", "share_b", "turnout", "margin"] + [
            f"sector.{s.name}.{k}" for s in sectors for k in ("share_a", "turnout", "turnout_change")]}
        patterns = []
        for i, pt in enumerate(r.list("patterns", most=limits.max_patterns, what="patterns")):
            pr = TableReader(pt, f"observed.patterns[{i}]", source, {"stat": "", "op": "", "value": "", "note": ""})
            patterns.append(Pattern(stat=pr.str("stat", required=True, choices=stats),
                                    op=pr.str("op", required=True, choices=["<", ">"]),
                                    value=pr.float("value", required=True),
                                    note=pr.str("note", default="", multiline=True)))
        observed = Observed(votes={f: vt.int(f, required=True, low=0) for f in finalists},
                            turnout=r.float("turnout", low=0, high=1),
                            source=r.str("source", default="", multiline=True), patterns=tuple(patterns))
        if sum(observed.votes.values()) > roll:
            vt.fail("", f"observed votes exceed the roll ({roll})")

    rr = TableReader(top.table_of("rules"), "rules", source,
                     {"turnout": "turnout probability rule", "choice": "vote choice rule"})
    if rr.table and not limits.allow_rules:
        top.fail("rules", "plug-in rules run code, so an uploaded scenario cannot name them; run your own "
                 "rules from the command line (runoff run FILE --trust-rules) or from Python")
    rules = {}
    for k in rr.table:
        v = rr.str(k)
        target, colon, func = v.rpartition(":")
        if not colon or not target.endswith(".py") or not func.isidentifier():
            rr.fail(k, f"expected 'file.py:function' (a path relative to this file), got {clean_text(v)}")
        rules[k] = v
    srcs = top.table_of("sources")
    for k, v in srcs.items():
        if not isinstance(v, str):
            top.fail(f"sources.{k}", "expected a string")
        if not _clean_free_text(v, True):
            top.fail(f"sources.{k}", "holds control characters; allowed: printable text, newlines and tabs")

    partial = Scenario(
        name=name, roll=roll, election_day=election_day, finalists=(finalists[0], finalists[1]),
        candidates=tuple(candidates), blank=blank, sectors=tuple(sectors), contractors=tuple(contractors),
        institutions=tuple(institutions), parameters=params, observed=observed,
        title=top.str("title", default=name), description=top.str("description", default="", multiline=True),
        sources=dict(srcs), rules=rules, stations=stations, electorate=electorate, path=source)

    # events
    raw_events = top.list("events", most=limits.max_events, what="events")
    paths = [f"events[{i}]" for i in range(len(raw_events))]
    events = [parse_event(e, partial, path, source) for e, path in zip(raw_events, paths, strict=True)]
    check_event_list(partial, events, paths)
    return replace(partial, events=tuple(sorted(events, key=lambda e: e.day)))
