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

import difflib
import math
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from runoff_abm.model.errors import ParameterError, ScenarioError
from runoff_abm.model.events import SIT_OUT, Event, check_event_list, parse_event
from runoff_abm.model.limits import DEFAULT_LIMITS, Limits
from runoff_abm.model.params import Params
from runoff_abm.scenarios import BUILTIN_DIR, DEFAULT_SCENARIO, builtin_names

__all__ = [
    "ScenarioError", "Scenario", "CandidateSpec", "SectorSpec", "ContractorSpec", "InstitutionSpec",
    "Observed", "Pattern", "BUILTIN_DIR", "DEFAULT_SCENARIO", "builtin_names", "load_scenario", "load_scenario_bytes",
    "parse_scenario", "TableReader",
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
        return measured < self.value if self.op == "<" else measured > self.value

    def describe(self) -> str:
        return f"{self.stat} {self.op} {self.value:g}"


@dataclass(frozen=True)
class Observed:
    """The observed runoff, for comparison only (the simulation never reads it)."""

    votes: dict[str, int]
    turnout: float | None = None
    source: str = ""
    patterns: tuple[Pattern, ...] = ()

    def shares(self) -> dict[str, float]:
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
    path: str = "<memory>"

    @property
    def abstained(self) -> int:
        """Members on the roll who cast no round-1 ballot."""
        return self.roll - self.round1_ballots

    @property
    def round1_ballots(self) -> int:
        return sum(c.votes for c in self.candidates) + self.blank

    @property
    def categories(self) -> tuple[str, ...]:
        """Round-1 categories in order: each candidate, then ``blank``, then ``abstained``."""
        return tuple(c.name for c in self.candidates) + ("blank", "abstained")

    def round1_counts(self) -> tuple[int, ...]:
        """Round-1 count per category (see :attr:`categories`); sums to the roll."""
        return tuple(c.votes for c in self.candidates) + (self.blank, self.abstained)

    def candidate(self, name: str) -> CandidateSpec:
        return next(c for c in self.candidates if c.name == name)

    @property
    def eliminated(self) -> tuple[str, ...]:
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


# --------------------------------------------------------------------------- the loader
def load_scenario(name_or_path: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> Scenario:
    """Load a built-in scenario by name, or a scenario file by path.

    Args:
        name_or_path: a built-in name (``runoff scenarios``) or a path to a ``.toml`` file.
        limits: what the file may ask for (:mod:`runoff_abm.model.limits`).

    Raises:
        ScenarioError: if the name is unknown, the file unreadable, or its content invalid.
    """
    text = str(name_or_path)
    path = Path(text)
    if not (path.suffix == ".toml" or path.exists() or "/" in text):
        if text not in builtin_names():
            close = difflib.get_close_matches(text, builtin_names(), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise ScenarioError(text, "", f"no such built-in scenario{hint}; built-ins: "
                                f"{', '.join(builtin_names())}; or give a path to a .toml file")
        path = BUILTIN_DIR / f"{text}.toml"
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ScenarioError(str(path), "", f"cannot read the file ({err.strerror}); give an existing "
                            f".toml file or a built-in name ({', '.join(builtin_names())})") from None
    return load_scenario_bytes(raw, str(path), limits=limits)


def load_scenario_bytes(data: bytes, source: str, *, limits: Limits = DEFAULT_LIMITS) -> Scenario:
    """Load a scenario from the bytes of a file (e.g. an upload) named ``source`` in messages.

    With ``limits.base_paths`` False (uploads), ``base`` may only name a built-in scenario and
    ``parameters_from`` is refused; otherwise relative paths resolve against ``source``'s folder.

    Raises:
        ScenarioError: naming ``source``, the field and what is allowed.
    """
    if len(data) > limits.max_file_bytes:
        raise ScenarioError(source, "", f"the file is {len(data):,} bytes; a scenario file is at most "
                            f"{limits.max_file_bytes:,}")
    try:
        data_dict = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(source, "", "not UTF-8 text; a scenario is a TOML file") from None
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(source, "", f"TOML syntax error: {err}") from None
    path = Path(source)
    if not limits.base_paths:
        for key in ("parameters_from",):
            if key in data_dict:
                raise ScenarioError(source, key, "not allowed in an uploaded file; put the parameters in "
                                    "[parameters]")
        base = data_dict.get("base")
        if base is not None and (not isinstance(base, str) or base not in builtin_names()):
            raise ScenarioError(source, "base", f"an uploaded file may only build on a built-in scenario; "
                                f"allowed: {', '.join(builtin_names())}")
    data_dict = _inherit(data_dict, source, seen=(str(path.resolve()),))
    return parse_scenario(data_dict, source=source)


def _inherit(data: dict[str, Any], source: str, seen: tuple[str, ...]) -> dict[str, Any]:
    """Resolve ``base = "NAME-or-PATH"``: start from the base's fields, replace the given ones.

    Top-level fields replace the base's whole field (an ``events`` list replaces the base's list);
    the ``[parameters]`` table is merged key by key. Paths are relative to the child file.
    """
    if "base" not in data:
        return data
    base = data["base"]
    if not isinstance(base, str):
        raise ScenarioError(source, "base", f"expected a scenario name or path, got {base!r}")
    if base in builtin_names() and not base.endswith(".toml"):
        base_path = BUILTIN_DIR / f"{base}.toml"
    else:
        base_path = (Path(source).parent / base).resolve()
    if str(base_path.resolve()) in seen:
        raise ScenarioError(source, "base", f"{base!r} leads back to itself (cycle of bases)")
    try:
        base_data = tomllib.loads(base_path.read_text(encoding="utf-8"))
    except OSError:
        raise ScenarioError(source, "base", f"cannot read {base!r}; give a built-in name "
                            f"({', '.join(builtin_names())}) or a path relative to this file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ScenarioError(str(base_path), "", f"TOML syntax error: {err}") from None
    base_data = _inherit(base_data, str(base_path), seen + (str(base_path.resolve()),))
    ref = base_data.get("parameters_from")
    if isinstance(ref, str) and not Path(ref).is_absolute():  # keep it relative to the base file
        base_data["parameters_from"] = str(base_path.parent / ref)
    rules = base_data.get("rules")
    if isinstance(rules, dict):  # rule files too
        base_data["rules"] = {k: (str(base_path.parent / v) if isinstance(v, str) and v.split(":")[0].endswith(".py")
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
    """Typed access to one TOML table that records the field path for error messages."""

    error: type[ScenarioError] = ScenarioError

    def __init__(self, table: Any, path: str, source: str, allowed: dict[str, str]):
        self.source = source
        self.path = path
        if not isinstance(table, dict):
            self.fail("", f"expected a table, got {type(table).__name__}")
        unknown = [k for k in table if k not in allowed]
        if unknown:
            k = unknown[0]
            close = difflib.get_close_matches(k, allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.fail(k, f"unknown field{hint}; allowed here: {', '.join(allowed)}")
        self.table = table

    def where(self, key: str) -> str:
        if not key:
            return self.path
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, message: str):
        raise self.error(self.source, self.where(key), message)

    def has(self, key: str) -> bool:
        return key in self.table

    def int(self, key: str, *, default=None, low=None, high=None, required=False):
        if key not in self.table:
            if required:
                self.fail(key, "required field is missing (an integer)")
            return default
        v = self.table[key]
        if isinstance(v, bool) or not isinstance(v, int):
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            else:
                self.fail(key, f"expected a whole number, got {v!r}")
        if low is not None and v < low:
            self.fail(key, f"{v} is too small; allowed: {_range(low, high)}")
        if high is not None and v > high:
            self.fail(key, f"{v} is too large; allowed: {_range(low, high)}")
        return v

    def float(self, key: str, *, default=None, low=None, high=None, required=False, open_low=False):
        if key not in self.table:
            if required:
                self.fail(key, "required field is missing (a number)")
            return default
        v = self.table[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            self.fail(key, f"expected a number, got {v!r}")
        v = float(v)
        if low is not None and (v < low or (open_low and v <= low)):
            self.fail(key, f"{v:g} is out of range; allowed: {_range(low, high, open_low)}")
        if high is not None and v > high:
            self.fail(key, f"{v:g} is out of range; allowed: {_range(low, high, open_low)}")
        return v

    def str(self, key: str, *, default=None, required=False, choices=None):
        if key not in self.table:
            if required:
                self.fail(key, "required field is missing (a string)"
                          + (f"; allowed: {', '.join(choices)}" if choices else ""))
            return default
        v = self.table[key]
        if not isinstance(v, str):
            self.fail(key, f"expected a string, got {v!r}")
        if choices is not None and v not in choices:
            close = difflib.get_close_matches(v, list(choices), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.fail(key, f"{v!r} is not allowed{hint}; allowed: {', '.join(choices)}")
        return v

    def bool(self, key: str, *, default=False):
        v = self.table.get(key, default)
        if not isinstance(v, bool):
            self.fail(key, f"expected true or false, got {v!r}")
        return v

    def list(self, key: str, *, default=()):
        v = self.table.get(key, default)
        if not isinstance(v, (list, tuple)):
            self.fail(key, f"expected an array, got {v!r}")
        return list(v)

    def table_of(self, key: str):
        v = self.table.get(key, {})
        if not isinstance(v, dict):
            self.fail(key, f"expected a table, got {v!r}")
        return v


def _contractor_sector(r: TableReader, sector_names: list[str]) -> str | None:
    if not r.has("sector"):
        return None
    if not sector_names:
        r.fail("sector", "this scenario has no [[sectors]]; remove the field or add sectors")
    return r.str("sector", choices=sector_names)


def _range(low, high, open_low=False) -> str:
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
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
    "rules": "plug-in decision rules: { turnout | choice = 'file.py:function' }",
    "stations": "polling stations on the roll (apportioned to sectors by size unless a sector gives its own)",
}


def parse_scenario(data: dict[str, Any], source: str = "<memory>") -> Scenario:
    """Validate a parsed TOML document and build a :class:`Scenario` (see ``docs/scenarios.md``)."""
    top = TableReader(data, "", source, _TOP)
    name = top.str("name", required=True)
    roll = top.int("roll", required=True, low=1)
    election_day = top.int("election_day", required=True, low=2, high=365)

    # candidates
    raw_cands = top.list("candidates")
    if len(raw_cands) < 2:
        top.fail("candidates", "at least two [[candidates]] are required")
    cands_raw = []
    for i, c in enumerate(raw_cands):
        r = TableReader(c, f"candidates[{i}]", source,
                    {"name": "", "full_name": "", "votes": "", "activists": "", "lean": "", "finalist": "",
                     "affinity": "eliminated: { FINALIST = -1..1 }", "deliver": "finalist: 0..1",
                     "consult_days": "eliminated: its decision day"})
        cands_raw.append(r)
    names = []
    for r in cands_raw:
        n = r.str("name", required=True)
        if n in names:
            r.fail("name", f"duplicate candidate {n!r}; names must be unique")
        if n in ("blank", "abstained", SIT_OUT):
            r.fail("name", f"{n!r} is reserved; choose another name")
        names.append(n)
    finalists = top.list("finalists")
    if len(finalists) != 2 or not all(isinstance(f, str) for f in finalists) or finalists[0] == finalists[1]:
        top.fail("finalists", f"expected two different candidate names, got {finalists!r}")
    for f in finalists:
        if f not in names:
            top.fail("finalists", f"{f!r} is not a candidate; candidates: {', '.join(names)}")
    candidates = []
    for r, n in zip(cands_raw, names, strict=True):
        if r.has("finalist") and r.bool("finalist") != (n in finalists):
            r.fail("finalist", f"contradicts top-level finalists = {finalists!r}")
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
    for i, s in enumerate(top.list("sectors")):
        r = TableReader(s, f"sectors[{i}]", source,
                    {"name": "", "share": "", "lean": "", "turnout": "", "votes": "", "description": "",
                     "stations": "polling stations of the sector"})
        sname = r.str("name", required=True)
        if any(x.name == sname for x in sectors):
            r.fail("name", f"duplicate sector {sname!r}")
        votes = None
        if r.has("votes"):
            vt = TableReader(r.table_of("votes"), f"sectors[{i}].votes", source, {n: "" for n in names})
            votes = {k: vt.float(k, low=0) for k in vt.table}
            if sum(votes.values()) <= 0:
                r.fail("votes", "the round-1 split must have a positive total")
        sectors.append(SectorSpec(
            name=sname, share=r.float("share", required=True, low=0, high=1, open_low=True),
            lean=r.float("lean", default=0.5, low=0, high=1),
            turnout=r.float("turnout", default=None, low=0, high=1), votes=votes,
            description=r.str("description", default=""), stations=r.int("stations", default=None, low=1)))
    if sectors:
        total = sum(s.share for s in sectors)
        if abs(total - 1.0) > 1e-3:
            top.fail("sectors", f"sector shares add up to {total:.4f}; they must add up to 1")
    sector_names = [s.name for s in sectors]
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
    for i, c in enumerate(top.list("contractors")):
        r = TableReader(c, f"contractors[{i}]", source,
                    {"name": "", "patron": "", "bloc": "", "sector": "", "compliance": "", "capacity": "",
                     "autonomy": "daily chance of deciding before its patron",
                     "stations": "polling stations its bloc votes in"})
        cname = r.str("name", required=True)
        if any(x.name == cname for x in contractors) or cname in names:
            r.fail("name", f"duplicate name {cname!r}; contractor names must be unique")
        contractors.append(ContractorSpec(
            name=cname, patron=r.str("patron", required=True, choices=names),
            bloc=r.int("bloc", required=True, low=1),
            sector=_contractor_sector(r, sector_names),
            compliance=r.float("compliance", low=0, high=1), capacity=r.float("capacity", low=0, high=1),
            autonomy=r.float("autonomy", low=0, high=1), stations=r.int("stations", default=None, low=1)))
    for i, cand in enumerate(candidates):
        if cand.activists > cand.votes:
            cands_raw[i].fail("activists", f"{cand.activists} exceeds {cand.name}'s round-1 votes ({cand.votes}); "
                              "activists are round-1 voters of their candidate")
    for cand in candidates:
        total = sum(c.bloc for c in contractors if c.patron == cand.name)
        if total > cand.votes:
            top.fail("contractors", f"blocs of {cand.name}'s contractors ({total}) exceed "
                     f"{cand.name}'s round-1 votes ({cand.votes}); a bloc is round-1 votes delivered")

    # institutions
    institutions = []
    for i, t in enumerate(top.list("institutions")):
        r = TableReader(t, f"institutions[{i}]", source, {"name": "", "sectors": "", "reach": ""})
        iname = r.str("name", required=True)
        if iname in names or any(x.name == iname for x in institutions) or any(c.name == iname for c in contractors):
            r.fail("name", f"duplicate name {iname!r}; an institution cannot share a candidate's, "
                   "contractor's or other institution's name")
        secs = r.list("sectors")
        for s in secs:
            if s not in sector_names:
                r.fail("sectors", f"{s!r} is not a sector; sectors: {', '.join(sector_names) or '(none)'}")
        institutions.append(InstitutionSpec(name=iname, sectors=tuple(secs),
                                            reach=r.float("reach", default=0.3, low=0, high=1, open_low=True)))

    # parameters: a referenced parameter file first (e.g. `runoff calibrate` output), then our own
    params = {}
    if top.has("parameters_from"):
        ref = top.str("parameters_from")
        ref_path = Path(ref) if Path(ref).is_absolute() else Path(source).parent / ref
        try:
            ref_data = tomllib.loads(ref_path.read_text(encoding="utf-8"))
        except OSError:
            top.fail("parameters_from", f"cannot read {str(ref_path)!r}; give a path relative to this file")
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            top.fail("parameters_from", f"{ref_path}: TOML syntax error: {err}")
        if not isinstance(ref_data.get("parameters"), dict):
            top.fail("parameters_from", f"{ref_path} has no [parameters] table")
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
        stats = ["share_a", "share_b", "turnout", "margin"] + [
            f"sector.{s.name}.{k}" for s in sectors for k in ("share_a", "turnout", "turnout_change")]
        patterns = []
        for i, pt in enumerate(r.list("patterns")):
            pr = TableReader(pt, f"observed.patterns[{i}]", source, {"stat": "", "op": "", "value": "", "note": ""})
            patterns.append(Pattern(stat=pr.str("stat", required=True, choices=stats),
                                    op=pr.str("op", required=True, choices=["<", ">"]),
                                    value=pr.float("value", required=True), note=pr.str("note", default="")))
        observed = Observed(votes={f: vt.int(f, required=True, low=0) for f in finalists},
                            turnout=r.float("turnout", low=0, high=1), source=r.str("source", default=""),
                            patterns=tuple(patterns))
        if sum(observed.votes.values()) > roll:
            vt.fail("", f"observed votes exceed the roll ({roll})")

    rr = TableReader(top.table_of("rules"), "rules", source,
                 {"turnout": "turnout probability rule", "choice": "vote choice rule"})
    rules = {}
    for k in rr.table:
        v = rr.str(k)
        if ":" not in v:
            rr.fail(k, f"expected 'file.py:function' (path relative to this file) or 'module:function', got {v!r}")
        rules[k] = v
    srcs = top.table_of("sources")
    for k, v in srcs.items():
        if not isinstance(v, str):
            top.fail(f"sources.{k}", "expected a string")

    partial = Scenario(
        name=name, roll=roll, election_day=election_day, finalists=(finalists[0], finalists[1]),
        candidates=tuple(candidates), blank=blank, sectors=tuple(sectors), contractors=tuple(contractors),
        institutions=tuple(institutions), parameters=params, observed=observed,
        title=top.str("title", default=name), description=top.str("description", default=""),
        sources=dict(srcs), rules=rules, stations=stations, path=source)

    # events
    raw_events = top.list("events")
    paths = [f"events[{i}]" for i in range(len(raw_events))]
    events = [parse_event(e, partial, path, source) for e, path in zip(raw_events, paths, strict=True)]
    check_event_list(partial, events, paths)
    return replace(partial, events=tuple(sorted(events, key=lambda e: e.day)))
