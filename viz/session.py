"""One browser session's simulation: its settings, its model, and immutable snapshots for the views.

A :class:`Settings` value is everything the user chose (scenario, event list, parameter
overrides, seed, member count); :meth:`Settings.scenario` turns it into a checked
:class:`~runoff_abm.scenarios.loader.Scenario`. A :class:`Session` owns one :class:`~runoff_abm.model.RunoffModel`
built from the settings and steps it under a lock. After every change it takes a
:class:`Snapshot`: plain, immutable data (the daily series, the event log, the aggregated
network and ego sample, the sector table, the result) that the views draw without touching the
model, so a view never sees a model half-way through a step. Layouts are computed once per
graph and kept in the session's own :class:`~runoff_abm.viz.network.LayoutCache`.

Nothing here is shared between sessions: the app creates one Session per browser session.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from runoff_abm.model import inputs
from runoff_abm.model.limits import UPLOAD_LIMITS
from runoff_abm.model.params import Params
from runoff_abm.model.result import RunResult
from runoff_abm.model.runoff import RunoffModel
from runoff_abm.model.scenario import Scenario, ScenarioError, builtin_names, load_scenario, load_scenario_bytes
from runoff_abm.scenarios import DEFAULT_SCENARIO
from runoff_abm.viz.events import apply_events, short_label
from runoff_abm.viz.network import (
    CENTRE_KINDS,
    EgoState,
    GroupState,
    LayoutCache,
    ego_state,
    graph_fingerprint,
    group_state,
    group_structure,
    sample_ego,
)

__all__ = ["DEFAULT_SCENARIO", "DEFAULT_MEMBERS", "MIN_MEMBERS", "LARGE_MEMBERS", "MAX_UPLOAD_BYTES",
           "Settings", "Snapshot", "Session", "parse_seed", "parse_members", "load_uploaded"]


#: Members simulated by default: small enough that every view redraws at once.
DEFAULT_MEMBERS = 5000
#: Fewest members the app simulates (or the roll, if smaller).
MIN_MEMBERS = 100
#: From this size on, building and running a model happens in the background with progress.
LARGE_MEMBERS = 20000
#: Largest scenario file accepted for upload.
MAX_UPLOAD_BYTES = UPLOAD_LIMITS.max_file_bytes


def parse_seed(text) -> int:
    """A master seed from a text box (the package's one seed parser; an int always, since Mesa
    seeds 42 and "42" differ).

    Raises:
        InputError: ``seed: ...`` naming what is allowed.
    """
    return inputs.parse_seed(text, "seed")


def member_range(scn: Scenario) -> tuple[int, int]:
    """The member counts the app allows for ``scn``: from MIN_MEMBERS (or the roll) to the roll."""
    return min(MIN_MEMBERS, scn.roll), scn.roll


def parse_members(text, scn: Scenario) -> int:
    """A member count from a text box, within :func:`member_range` (the package's one parser).

    Raises:
        InputError: ``members: ...`` naming the allowed range.
    """
    low, high = member_range(scn)
    return inputs.parse_members(text, "members", limit=high, low=low)


def load_uploaded(name: str, data: bytes) -> Scenario:
    """Load an uploaded scenario file (its ``base`` may name a built-in scenario).

    Args:
        name: the file name as uploaded.
        data: its content.

    Raises:
        ScenarioError: naming the uploaded file, the field and what is allowed.
    """
    label = Path(name or "upload.toml").name
    if not label.endswith(".toml"):
        raise ScenarioError(label, "", "not a scenario file; upload a .toml file (format: docs/scenarios.md)")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ScenarioError(label, "", f"the file is {len(data):,} bytes; a scenario file is at most "
                            f"{MAX_UPLOAD_BYTES:,}")
    scn = load_scenario_bytes(data, label, limits=UPLOAD_LIMITS)
    return replace(scn, path=label)


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
    """

    base: Scenario
    source: str
    events: tuple = ()
    overrides: tuple[tuple[str, float | int], ...] = ()
    seed: int = 0
    members: int = DEFAULT_MEMBERS

    @classmethod
    def initial(cls, base: Scenario, source: str, seed: int = 0, members: int | None = None) -> Settings:
        """Settings for ``base`` unedited, with the default member count (capped by the roll)."""
        low, high = member_range(base)
        size = DEFAULT_MEMBERS if members is None else members
        return cls(base=base, source=source, events=tuple(base.events), seed=seed,
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

    def scenario(self) -> Scenario:
        """The scenario to run: ``base`` with the edited events and parameter overrides, checked.

        Raises:
            ScenarioError: for an event or a parameter value that is not allowed.
        """
        return apply_events(self.base, self.events).with_parameters(**dict(self.overrides))

    def params(self) -> Params:
        """The effective parameter values (defaults, then the scenario's, then the app's)."""
        return Params.from_mapping({**self.base.parameters, **dict(self.overrides)})

    @property
    def edited(self) -> bool:
        """True when the events or parameters differ from the loaded scenario's."""
        return tuple(self.events) != tuple(self.base.events) or bool(self.overrides)

    def with_override(self, name: str, value) -> Settings:
        """A copy with parameter ``name`` set to ``value`` (dropped when equal to the scenario's value)."""
        rest = tuple((k, v) for k, v in self.overrides if k != name)
        base_value = Params.from_mapping(self.base.parameters).as_dict()[name]
        if value == base_value:
            return replace(self, overrides=rest)
        return replace(self, overrides=rest + ((name, value),))


@dataclass(frozen=True)
class Snapshot:
    """What the views show, taken from the model after a change. Immutable; never the model.

    Attributes:
        serial: increases with every snapshot of a session (views memoise figures on it).
        daily: the DataCollector's frame so far (one row per day).
        log: the model's event log, (day, text) pairs.
        scheduled: the scenario's events, (day, short label, description) triples.
        groups: the aggregated network today.
        ego: the ego sample today.
        sectors: per sector: members, mean leaning and mean turnout propensity today.
        result: the RunResult once election day has passed, else None.
        observed: the observed runoff (votes, shares, turnout), if the scenario has one.
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
    groups: GroupState
    ego: EgoState
    sectors: pd.DataFrame
    result: RunResult | None = None
    observed: dict | None = None
    edited: bool = False
    extra: dict = field(default_factory=dict)

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


def _observed(scn: Scenario) -> dict | None:
    obs = scn.observed
    if obs is None:
        return None
    return {"votes": dict(obs.votes), "shares": obs.shares(), "turnout": obs.turnout, "source": obs.source}


class Session:
    """One browser session's model and settings. Thread-safe: every change holds ``lock``.

    Args:
        settings: the initial settings (default: the built-in ``labor-2011`` at 5,000 members).
    """

    def __init__(self, settings: Settings | None = None):
        self.lock = threading.RLock()
        self.layouts = LayoutCache()
        self.settings = settings or Settings.builtin()
        self.scenario = self.settings.scenario()
        self.centre_kind = CENTRE_KINDS[0]
        self.sample_number = 0
        self._serial = 0
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
        parse_members(settings.members, scn)
        parse_seed(settings.seed)
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
        self.model = RunoffModel(scenario=self.scenario, seed=self.settings.seed, members=self.settings.members)
        if old is not None:
            old.release()

    # ------------------------------------------------------------------ stepping
    @property
    def running(self) -> bool:
        return bool(self.model.running)

    def step(self) -> Snapshot:
        """Advance one day (the vote on election day) and return the new snapshot."""
        with self.lock:
            self.model.step()
            return self.snapshot()

    def run_to_end(self, on_day: Callable[[Snapshot], None] | None = None,
                   cancelled: Callable[[], bool] | None = None) -> Snapshot:
        """Step until election day has passed.

        Args:
            on_day: called with each day's snapshot (for progress); None takes one at the end.
            cancelled: polled before each day; stepping stops when it returns True.
        """
        with self.lock:
            while self.model.running and not (cancelled and cancelled()):
                self.model.step()
                if on_day is not None:
                    on_day(self.snapshot())
            return self.snapshot()

    def resample(self, centre_kind: str | None = None) -> Snapshot:
        """Draw another ego sample (optionally centred on another kind of member)."""
        with self.lock:
            if centre_kind is not None and centre_kind != self.centre_kind:
                if centre_kind not in CENTRE_KINDS:
                    raise ValueError(f"centre: {centre_kind!r}; allowed: {', '.join(CENTRE_KINDS)}")
                self.centre_kind = centre_kind
            else:
                self.sample_number += 1
            return self.snapshot()

    # ------------------------------------------------------------------ snapshots
    def snapshot(self) -> Snapshot:
        """Take an immutable snapshot of the model for the views."""
        with self.lock:
            m = self.model
            self._serial += 1
            key = (graph_fingerprint(m), tuple(m.sector_names), tuple(c.name for c in m.contractors),
                   tuple(m.categories))
            structure = self.layouts.get(("groups",) + key, lambda: group_structure(m))
            sample = self.layouts.get(("ego", self.centre_kind, self.sample_number) + key,
                                      lambda: sample_ego(m, self.centre_kind, self.sample_number))
            st = m.state
            sizes = np.bincount(st.sector, minlength=len(m.sector_names))
            denom = np.maximum(sizes, 1)
            sectors = pd.DataFrame({
                "sector": list(m.sector_names), "members": sizes,
                "leaning": np.bincount(st.sector, weights=st.leaning, minlength=len(sizes)) / denom,
                "propensity": np.bincount(st.sector, weights=st.propensity, minlength=len(sizes)) / denom,
            })
            abstained = len(m.categories) - 1
            return Snapshot(
                serial=self._serial, scenario=m.scenario.name, title=m.scenario.title, source=self.settings.source,
                finalists=tuple(m.finalists), seed=m.seed, members=m.n, roll=m.scenario.roll, day=m.day,
                election_day=m.election_day, running=bool(m.running),
                round1_turnout=float(np.mean(st.r1 != abstained)),
                daily=m.datacollector.get_model_vars_dataframe().reset_index(drop=True).copy(),
                log=tuple(m.event_log), scheduled=tuple((e.day, short_label(e), e.describe()) for e in m.scenario.events),
                groups=group_state(m, structure), ego=ego_state(m, sample), sectors=sectors,
                result=m.result, observed=_observed(m.scenario), edited=self.settings.edited)

    def close(self) -> None:
        """Release the model (Mesa 3.3 keeps every model alive otherwise)."""
        with self.lock:
            if self.model is not None:
                self.model.release()
