"""One browser session's simulation: its settings, its model, and immutable snapshots for the views.

A :class:`Settings` value is everything the user chose (scenario, event list, parameter
overrides, seed, member count, exercise rules); :meth:`Settings.scenario` turns it into a checked
:class:`~runoff_abm.model.scenario.Scenario`, :meth:`Settings.changes` says in words what differs
from the loaded scenario and :meth:`Settings.name` names the run by it. A :class:`Session` owns
one :class:`~runoff_abm.model.runoff.RunoffModel` built from the settings and steps it under a
lock. After every change it takes a :class:`Snapshot`: plain, immutable data (the daily series,
the event log, where each round-1 group is heading, the sectors and brokers, the result) that
the views draw without touching the model. A finished run is kept as a :class:`RunRecord`
(its name, settings and result figures) for pinning, comparing and export.

Uploaded files are read by :func:`load_uploaded` with the upload limits; the app never honours a
scenario's ``[rules]`` (an upload that names rules is refused) and runs only the exercise rules
of :mod:`runoff_abm.viz.exercise_rules`, as function objects. Nothing here is shared between
sessions: the app creates one Session per browser session.
"""

from __future__ import annotations

import threading
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from runoff_abm.model import inputs
from runoff_abm.model.errors import ScenarioError
from runoff_abm.model.limits import UPLOAD_LIMITS, Limits
from runoff_abm.model.params import Params
from runoff_abm.model.result import RunResult
from runoff_abm.model.runoff import RunoffModel
from runoff_abm.model.scenario import Scenario, builtin_names, load_scenario, load_scenario_bytes
from runoff_abm.scenarios import DEFAULT_SCENARIO
from runoff_abm.viz.events import apply_events, short_label
from runoff_abm.viz.exercise_rules import rules_for
from runoff_abm.viz.flows import GroupFlows, actual_flows, projected_flows, share_to_a
from runoff_abm.viz.limits import ServerLimits, server_limits
from runoff_abm.viz.naming import event_changes, parameter_changes, rule_changes, run_name

__all__ = ["DEFAULT_SCENARIO", "DEFAULT_MEMBERS", "MIN_MEMBERS", "LARGE_MEMBERS", "MAX_UPLOAD_BYTES",
           "Settings", "Snapshot", "RunRecord", "Session", "Upload", "parse_seed", "parse_members", "member_range",
           "load_uploaded", "check_upload_size"]


#: Members simulated by default: small enough that every view redraws at once.
DEFAULT_MEMBERS = 5000
#: Fewest members the app simulates (or the roll, if smaller).
MIN_MEMBERS = 100
#: From this size on, building and running a model happens in the background with progress.
LARGE_MEMBERS = 20000
#: Largest scenario file accepted for upload.
MAX_UPLOAD_BYTES = UPLOAD_LIMITS.max_file_bytes
#: Top-level arrays of a scenario file and the limit that bounds each.
_COUNTED = {"candidates": "max_candidates", "sectors": "max_sectors", "contractors": "max_contractors",
            "institutions": "max_institutions", "events": "max_events"}


def parse_seed(text) -> int:
    """A master seed from a text box (the package's one seed parser; an int always, since Mesa
    seeds 42 and "42" differ).

    Raises:
        InputError: ``seed: ...`` naming what is allowed.
    """
    return inputs.parse_seed(text, "seed")


def member_range(scn: Scenario, limits: ServerLimits | None = None) -> tuple[int, int]:
    """The member counts the app allows for ``scn``: from MIN_MEMBERS (or the roll) to the roll,
    and never more than the server's ``--max-members`` (``limits``, default the server's)."""
    high = min(scn.roll, (limits or server_limits()).max_members)
    return min(MIN_MEMBERS, high), high


def parse_members(text, scn: Scenario, limits: ServerLimits | None = None) -> int:
    """A member count from a text box, within :func:`member_range` (the package's one parser).

    Raises:
        InputError: ``members: ...`` naming the allowed range (and the server's limit if lower
        than the roll).
    """
    low, high = member_range(scn, limits)
    return inputs.parse_members(text, "members", limit=high, low=low)


# --------------------------------------------------------------------------- uploads
@dataclass(frozen=True)
class Upload:
    """An uploaded scenario and what the student should know about it.

    Attributes:
        scenario: the loaded scenario.
        base: the built-in scenario its ``base`` names, or None.
        replaced_events: when the file lists events *and* builds on a base with events, the
            number of the base's events its list replaces; else None.
    """

    scenario: Scenario
    base: str | None = None
    replaced_events: int | None = None


def check_upload_size(name: str, size: int) -> None:
    """Refuse a file by its name and size, before its content is transferred.

    Raises:
        ScenarioError: for a name that is not ``.toml`` or a size over the upload limit.
    """
    label = Path(name or "upload.toml").name
    if not label.endswith(".toml"):
        raise ScenarioError(label, "", "not a scenario file; upload a .toml file (format: docs/scenarios.md)")
    if size > MAX_UPLOAD_BYTES:
        raise ScenarioError(label, "", f"the file is {size:,} bytes; a scenario file is at most {MAX_UPLOAD_BYTES:,}")


def _depth(data) -> int:
    """Nesting depth of parsed TOML (iterative: a deep file cannot exhaust the stack here)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if isinstance(node, dict):
            stack += [(v, d + 1) for v in node.values()]
        elif isinstance(node, list):
            stack += [(v, d + 1) for v in node]
    return deepest


def _precheck(data: bytes, label: str, limits: Limits) -> dict:
    """Parse the upload once and refuse what the app never accepts, before the loader builds it:
    ``[rules]`` (code), deep nesting, and counts over the upload limits."""
    try:
        raw = tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ScenarioError(label, "", "not UTF-8 text; a scenario is a TOML file") from None
    except RecursionError:
        raise ScenarioError(label, "", f"nested too deeply; at most {limits.max_nesting} levels") from None
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(label, "", f"TOML syntax error: {err}") from None
    if "rules" in raw:
        raise ScenarioError(label, "rules", "an uploaded scenario cannot name decision rules: code runs only "
                            "where its owner put it. Run your own rules from the command line (runoff run FILE "
                            "--rule choice=my_rules.py:my_rule) or in Python/Jupyter; in exercise 5 choose one of "
                            "the exercise's rules in the app")
    if _depth(raw) > limits.max_nesting:
        raise ScenarioError(label, "", f"nested too deeply; at most {limits.max_nesting} levels")
    for key, limit_name in _COUNTED.items():
        value = raw.get(key)
        limit = getattr(limits, limit_name)
        if isinstance(value, list) and len(value) > limit:
            raise ScenarioError(label, key, f"{len(value):,} entries; an uploaded scenario may have at most {limit:,}")
    roll = raw.get("roll")
    if isinstance(roll, int) and not isinstance(roll, bool) and roll > limits.max_roll:
        raise ScenarioError(label, "roll", f"{roll:,} is more than the {limits.max_roll:,} members allowed")
    return raw


def load_uploaded(name: str, data: bytes, limits: Limits = UPLOAD_LIMITS) -> Upload:
    """Load an uploaded scenario file (its ``base`` may only name a built-in scenario).

    Args:
        name: the file name as uploaded (only its last part is used).
        data: its content.
        limits: what an upload may ask for.

    Raises:
        ScenarioError: naming the uploaded file, the field and what is allowed; also for a file
        that names ``[rules]`` (the app never runs code named by a file).
    """
    label = Path(name or "upload.toml").name
    check_upload_size(label, len(data))
    raw = _precheck(data, label, limits)
    scn = load_scenario_bytes(data.removeprefix(b"\xef\xbb\xbf"), label, limits=limits)
    base = raw.get("base") if isinstance(raw.get("base"), str) else None
    replaced = None
    if base is not None and "events" in raw:
        own = load_scenario(base).events
        if own:
            replaced = len(own)
    return Upload(scenario=replace(scn, path=label, rules={}), base=base, replaced_events=replaced)


# --------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class Settings:
    """Everything the user chose for a run.

    Attributes:
        base: the scenario as loaded (a built-in or an uploaded file), with its own events and
            parameter overrides.
        source: where ``base`` came from: a built-in name or ``"upload: FILE"``.
        events: the event list in use (``base.events`` until edited).
        overrides: parameter values set in the app, over the scenario's.
        seed: the master seed.
        members: members to simulate.
        rules: exercise rules chosen, (slot, name) pairs (see :mod:`runoff_abm.viz.exercise_rules`).
    """

    base: Scenario
    source: str
    events: tuple = ()
    overrides: tuple[tuple[str, float | int], ...] = ()
    seed: int = 0
    members: int = DEFAULT_MEMBERS
    rules: tuple[tuple[str, str], ...] = ()

    @classmethod
    def initial(cls, base: Scenario, source: str, seed: int = 0, members: int | None = None,
                limits: ServerLimits | None = None) -> Settings:
        """Settings for ``base`` unedited, with the default member count (within the allowed range)."""
        low, high = member_range(base, limits)
        size = DEFAULT_MEMBERS if members is None else members
        return cls(base=replace(base, rules={}), source=source, events=tuple(base.events), seed=seed,
                   members=max(low, min(high, size)))

    @classmethod
    def builtin(cls, name: str = DEFAULT_SCENARIO, **kw) -> Settings:
        """Settings for built-in scenario ``name``.

        Raises:
            ScenarioError: if there is no such built-in scenario.
        """
        if name not in builtin_names():
            raise ScenarioError(name, "", f"no such built-in scenario; built-ins: {', '.join(builtin_names())}")
        return cls.initial(load_scenario(name), name, **kw)

    @property
    def is_builtin(self) -> bool:
        """True when the scenario is a built-in one (not an upload)."""
        return self.source in builtin_names()

    def scenario(self) -> Scenario:
        """The scenario to run: ``base`` with the edited events and parameter overrides, checked.

        Raises:
            ScenarioError: for an event or a parameter value that is not allowed.
        """
        return apply_events(self.base, self.events).with_parameters(**dict(self.overrides))

    def params(self) -> Params:
        """The effective parameter values (defaults, then the scenario's, then the app's)."""
        return Params.from_mapping({**self.base.parameters, **dict(self.overrides)})

    def base_params(self) -> dict[str, float | int]:
        """The loaded scenario's parameter values (before the app's changes)."""
        return Params.from_mapping(self.base.parameters).as_dict()

    @property
    def edited(self) -> bool:
        """True when the events, parameters or rules differ from the loaded scenario's."""
        return tuple(self.events) != tuple(self.base.events) or bool(self.overrides) or bool(self.rules)

    def changes(self) -> list[str]:
        """What differs from the loaded scenario, in words (events, parameters, rules)."""
        return (event_changes(self.base.events, self.events)
                + parameter_changes(self.base_params(), dict(self.overrides)) + rule_changes(dict(self.rules)))

    def name(self) -> str:
        """The run's name: the scenario and its changes (``"labor-2011 as recorded"`` unedited)."""
        return run_name(self.base.name, self.changes())

    def key(self) -> tuple:
        """Identifies the settings (results made with other settings are stale)."""
        return (self.source, self.base.name, tuple(self.events), tuple(self.overrides), self.seed, self.members,
                tuple(self.rules))

    def with_override(self, name: str, value) -> Settings:
        """A copy with parameter ``name`` set to ``value`` (dropped when equal to the scenario's value)."""
        rest = tuple((k, v) for k, v in self.overrides if k != name)
        if value == self.base_params()[name]:
            return replace(self, overrides=rest)
        return replace(self, overrides=rest + ((name, value),))

    def model_rules(self) -> dict[str, Callable]:
        """The exercise rules as function objects for the model."""
        return rules_for(self.rules)


# --------------------------------------------------------------------------- runs and snapshots
@dataclass(frozen=True)
class RunRecord:
    """A finished run: its name and settings and the figures to compare, pin and export."""

    name: str
    key: tuple
    scenario: str
    seed: int
    members: int
    finalists: tuple[str, str]
    votes: dict
    shares: dict
    turnout: float
    turnout_votes: int
    winner: str | None
    daily_share_a: tuple[float, ...]
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Snapshot:
    """What the views show, taken from the model after a change. Immutable; never the model.

    Attributes:
        serial: increases with every snapshot of a session.
        daily: the DataCollector's frame so far (one row per day).
        log: the model's event log, (day, text) pairs.
        scheduled: the scenario's events, (day, short label, description) triples, in day order.
        flows: where each round-1 group is heading today (after the vote: where it went).
        sectors: per sector: members, mean leaning and mean turnout propensity today.
        brokers: per contractor: name, patron, bloc size, today's instruction.
        result: the RunResult once election day has passed, else None.
        observed: the observed runoff (votes, shares, turnout), if the scenario has one.
        name: the run's name (scenario and changes); key: its settings' key.
    """

    serial: int
    scenario: str
    title: str
    source: str
    finalists: tuple[str, str]
    seed: int
    members: int
    roll: int
    day: int
    election_day: int
    running: bool
    round1_turnout: float
    daily: pd.DataFrame
    log: tuple[tuple[int, str], ...]
    scheduled: tuple[tuple[int, str, str], ...]
    flows: GroupFlows
    sectors: pd.DataFrame
    brokers: tuple[tuple[str, str, int, str], ...]
    result: RunResult | None = None
    observed: dict | None = None
    edited: bool = False
    name: str = ""
    key: tuple = ()
    changes: tuple[str, ...] = ()  # the settings' changes from the base scenario, in words

    @property
    def n_contractors(self) -> int:
        """The number of contractors (brokers) shown."""
        return len(self.brokers)

    @property
    def share_a(self) -> float:
        """Finalist A's share: the result's once voted, else today's projection."""
        if self.result is not None:
            return self.result.shares[self.finalists[0]]
        return float(self.daily["projected_share_a"].iloc[-1])

    @property
    def turnout(self) -> float:
        """Turnout: the result's once voted, else today's projection."""
        if self.result is not None:
            return self.result.turnout
        return float(self.daily["projected_turnout"].iloc[-1])

    def record(self) -> RunRecord | None:
        """The finished run as a :class:`RunRecord` (None before election day)."""
        r = self.result
        if r is None:
            return None
        return RunRecord(name=self.name, key=self.key, scenario=self.scenario, seed=self.seed, members=self.members,
                         finalists=self.finalists, votes=dict(r.votes), shares=dict(r.shares), turnout=r.turnout,
                         turnout_votes=r.turnout_votes, winner=r.winner,
                         daily_share_a=tuple(float(x) for x in r.daily["projected_share_a"]),
                         changes=self.changes)


def _observed(scn: Scenario) -> dict | None:
    obs = scn.observed
    if obs is None:
        return None
    return {"votes": dict(obs.votes), "shares": obs.shares(), "turnout": obs.turnout, "source": obs.source}


class Session:
    """One browser session's model and settings. Thread-safe: every change holds ``lock``.

    Args:
        settings: the initial settings (default: the built-in ``labor-2011`` at 5,000 members).
        limits: the server's limits (default :func:`~runoff_abm.viz.limits.server_limits`).
    """

    def __init__(self, settings: Settings | None = None, limits: ServerLimits | None = None):
        self.lock = threading.RLock()
        self.limits = limits or server_limits()
        self.settings = settings or Settings.builtin()
        self.scenario = self.settings.scenario()
        self._serial = 0
        self._day0: np.ndarray | None = None
        self.model: RunoffModel | None = None
        self._build()

    # ------------------------------------------------------------------ settings
    def configure(self, settings: Settings) -> Snapshot:
        """Use ``settings``: check them, then build a fresh model at day 0.

        Raises:
            ScenarioError, ParameterError, ValueError: when the settings are not allowed; the
            session keeps its previous settings and model.
        """
        scn = settings.scenario()
        parse_members(settings.members, scn, self.limits)
        parse_seed(settings.seed)
        settings.model_rules()
        with self.lock:
            self.settings = replace(settings, events=tuple(scn.events))  # in day order, as the model has them
            self.scenario = scn
            self._build()
            return self.snapshot()

    def reset(self) -> Snapshot:
        """A fresh model with the current settings (day 0)."""
        with self.lock:
            self._build()
            return self.snapshot()

    def _build(self) -> None:
        old = self.model
        scn = replace(self.scenario, rules={})  # a scenario's own [rules] never run in the app
        self.model = RunoffModel(scenario=scn, seed=self.settings.seed, members=self.settings.members,
                                 rules=self.settings.model_rules() or None)
        self._day0 = share_to_a(projected_flows(self.model))
        if old is not None:
            old.release()

    # ------------------------------------------------------------------ stepping
    @property
    def running(self) -> bool:
        """True until election day has passed."""
        return bool(self.live.running)

    @property
    def live(self) -> RunoffModel:
        """The session's model (built when the session is; released only by :meth:`close`)."""
        if self.model is None:
            raise RuntimeError("the session's model was released")
        return self.model

    def step(self) -> Snapshot:
        """Advance one day (the vote on election day) and return the new snapshot."""
        with self.lock:
            self.live.step()
            return self.snapshot()

    def run_to_end(self, on_day: Callable[[Snapshot], None] | None = None,
                   cancelled: Callable[[], bool] | None = None) -> Snapshot:
        """Step until election day has passed (or ``cancelled()`` is True before a day).

        Args:
            on_day: called with each day's snapshot (for progress); None takes one at the end.
            cancelled: polled before each day; stepping stops when it returns True.
        """
        with self.lock:
            m = self.live
            while m.running and not (cancelled and cancelled()):
                m.step()
                if on_day is not None:
                    on_day(self.snapshot())
            return self.snapshot()

    # ------------------------------------------------------------------ snapshots
    def snapshot(self) -> Snapshot:
        """Take an immutable snapshot of the model for the views."""
        with self.lock:
            m = self.live
            scn = m.scenario
            self._serial += 1
            st = m.state
            sizes = np.bincount(st.sector, minlength=len(m.sector_names))
            denom = np.maximum(sizes, 1)
            sectors = pd.DataFrame({
                "sector": list(m.sector_names), "members": sizes,
                "leaning": np.bincount(st.sector, weights=st.leaning, minlength=len(sizes)) / denom,
                "propensity": np.bincount(st.sector, weights=st.propensity, minlength=len(sizes)) / denom,
            })
            abstained = len(m.categories) - 1
            flows = actual_flows(m.result) if m.result is not None else projected_flows(m, self._day0)
            brokers = tuple((c.name, c.patron_name, int(len(c.members)),
                             m.finalists[c.instruction] if c.instruction >= 0 else "none") for c in m.contractors)
            changes = self.settings.changes()
            return Snapshot(
                serial=self._serial, scenario=scn.name, title=scn.title, source=self.settings.source,
                finalists=(m.finalists[0], m.finalists[1]), seed=m.seed, members=m.n, roll=scn.roll, day=m.day,
                election_day=m.election_day, running=bool(m.running),
                round1_turnout=float(np.mean(st.r1 != abstained)),
                daily=m.datacollector.get_model_vars_dataframe().reset_index(drop=True).copy(),
                log=tuple(m.event_log), scheduled=tuple((e.day, short_label(e), e.describe()) for e in scn.events),
                flows=flows, sectors=sectors, brokers=brokers, result=m.result, observed=_observed(scn),
                edited=self.settings.edited, name=run_name(self.settings.base.name, changes), key=self.settings.key(),
                changes=tuple(changes))

    def close(self) -> None:
        """Release the model (Mesa 3.3 keeps every model alive otherwise)."""
        with self.lock:
            if self.model is not None:
                self.model.release()
