"""Per-session app state: the session's model plus the reactive values the components read.

:class:`AppState` is created once per browser session (by ``viz.app.Page`` in a ``use_memo``),
never at module level, so two sessions never share a model, settings, results or messages. It
holds one :class:`~runoff_abm.viz.session.Session` and Solara reactive values: components that read a
value re-render when it changes (stepping re-renders the views, not the controls).

Every user action is a method here. Quick actions (a step, a rebuild at the default size) run
at once; long ones (play, run to election day, a full-roll rebuild, replicates, comparisons)
run in Solara threaded tasks with progress, so the page never freezes. Bad input never raises
into Solara: a ScenarioError, ParameterError or ValueError becomes :attr:`AppState.message`,
shown in the page, and the previous settings stay in force.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import solara

from runoff_abm.model.params import ParameterError
from runoff_abm.model.scenario import Scenario, ScenarioError, builtin_names, load_scenario
from runoff_abm.viz.events import blank_event
from runoff_abm.viz.experiments import (
    Comparison,
    Distribution,
    RunSummary,
    distribution,
    run_comparison,
    run_replicates,
)
from runoff_abm.viz.session import LARGE_MEMBERS, Session, Settings, Snapshot, load_uploaded, parse_members, parse_seed

__all__ = ["AppState", "ReplicateResult", "ComparisonResult", "PLAY_DELAY", "CURRENT", "LOADED"]

logger = logging.getLogger(__name__)

#: Seconds between days while playing.
PLAY_DELAY = 0.5
#: Compare choices that stand for the user's settings and for the loaded scenario unedited.
CURRENT = "current settings"
LOADED = "loaded scenario (unedited)"

_USER_ERRORS = (ScenarioError, ParameterError, ValueError)


def _same(a, b) -> bool:
    return a is b


@dataclass(frozen=True)
class ReplicateResult:
    """Replicate runs of one configuration and their summary."""

    runs: tuple[RunSummary, ...]
    summary: Distribution
    finalists: tuple[str, str]
    observed: dict | None
    description: str
    cancelled: bool = False


@dataclass(frozen=True)
class ComparisonResult:
    """A baseline/counterfactual comparison and summaries of both sides."""

    comparison: Comparison
    baseline: Distribution
    counterfactual: Distribution
    finalists: tuple[str, str]
    observed: dict | None
    description: str
    cancelled: bool = False


class AppState:
    """Everything one browser session owns. See the module docstring.

    Args:
        session: the session to drive (default: a new one on ``labor-2011``).
    """

    def __init__(self, session: Session | None = None):
        self.session = session or Session()
        self.settings = solara.reactive(self.session.settings, equals=_same)
        self.snapshot = solara.reactive(self.session.snapshot(), equals=_same)
        self.message = solara.reactive(None)
        self.notice = solara.reactive(None)
        self.busy = solara.reactive(None)
        self.progress = solara.reactive(None)
        self.playing = solara.reactive(False)
        self.replicates = solara.reactive(None, equals=_same)
        self.comparison = solara.reactive(None, equals=_same)
        self.experiment_busy = solara.reactive(None)
        self.experiment_progress = solara.reactive(None)
        self._cancel_experiment = threading.Event()
        self._claim = threading.Lock()
        self._model_runner: Callable | None = None
        self._experiment_runner: Callable | None = None

    # ------------------------------------------------------------------ plumbing
    def bind(self, model_runner: Callable | None, experiment_runner: Callable | None) -> None:
        """Give the state the threaded runners (Solara tasks) for long jobs; None runs inline."""
        self._model_runner = model_runner
        self._experiment_runner = experiment_runner

    def close(self) -> None:
        """Stop playing and release the model (the browser session has ended)."""
        self.playing.value = False
        self._cancel_experiment.set()
        self.session.close()

    def _publish(self, snap: Snapshot) -> None:
        """Show ``snap`` unless a newer snapshot is already shown (jobs may finish out of order)."""
        current = self.snapshot.value
        if current is None or snap.serial >= current.serial:
            self.snapshot.value = snap

    def _report(self, err: Exception) -> None:
        self.message.value = str(err)

    def _unexpected(self, err: Exception, what: str) -> None:
        """Log a bug with its traceback and show it in the page (which stays up)."""
        logger.exception("%s failed", what)
        self.message.value = f"Unexpected error: {type(err).__name__}: {err}"

    def dismiss(self) -> None:
        """Hide the message."""
        self.message.value = None

    def _claim_job(self, label: str) -> bool:
        with self._claim:
            if self.busy.value:
                return False
            self.busy.value = label
            self.progress.value = None
            return True

    def _start(self, label: str, work: Callable[[], None]) -> bool:
        """Run ``work`` as the session's model job (in a thread when a runner is bound)."""
        if not self._claim_job(label):
            self.message.value = f"Busy ({self.busy.value}); wait for it to finish or pause."
            return False

        def body():
            try:
                work()
            except _USER_ERRORS as err:
                self._report(err)
            except Exception as err:  # noqa: BLE001 - the page must stay up whatever happens
                self._unexpected(err, "model job")
            finally:
                self.playing.value = False
                self.progress.value = None
                self.busy.value = None

        if self._model_runner is None:
            body()
        else:
            self._model_runner(body)
        return True

    # ------------------------------------------------------------------ settings
    def apply(self, settings: Settings) -> bool:
        """Use ``settings`` (a fresh model at day 0). Returns False and shows a message if they
        are not allowed. Large models are built in the background."""
        try:
            settings.scenario()
            parse_members(settings.members, settings.base)
            parse_seed(settings.seed)
        except _USER_ERRORS as err:
            self._report(err)
            return False
        self.playing.value = False

        def build():
            snap = self.session.configure(settings)
            self.settings.value = self.session.settings
            self._publish(snap)
            self.message.value = None

        if settings.members >= LARGE_MEMBERS and self._model_runner is not None:
            return self._start(f"building {settings.members:,} members", build)
        try:
            build()
        except _USER_ERRORS as err:
            self._report(err)
            return False
        return True

    def choose_builtin(self, name: str) -> bool:
        """Load built-in scenario ``name`` (keeping seed and member count where allowed)."""
        try:
            settings = Settings.builtin(name, seed=self.settings.value.seed, members=self.settings.value.members)
        except _USER_ERRORS as err:
            self._report(err)
            return False
        return self.apply(settings)

    def upload(self, name: str, data: bytes) -> bool:
        """Load an uploaded scenario file; a bad file shows its ScenarioError text."""
        try:
            scn = load_uploaded(name, data)
            settings = Settings.initial(scn, f"upload: {scn.path}", seed=self.settings.value.seed,
                                        members=self.settings.value.members)
        except _USER_ERRORS as err:
            self._report(err)
            return False
        ok = self.apply(settings)
        if ok:
            self.notice.value = f"Loaded {scn.path}: {scn.title}"
        return ok

    def set_seed(self, text) -> bool:
        """Set the master seed from text (cast to int; Mesa treats 42 and "42" differently)."""
        try:
            seed = parse_seed(text)
        except ValueError as err:
            self._report(err)
            return False
        return self.apply(replace(self.settings.value, seed=seed))

    def set_members(self, text) -> bool:
        """Set the member count from text (allowed: 100 to the roll)."""
        try:
            members = parse_members(text, self.settings.value.base)
        except ValueError as err:
            self._report(err)
            return False
        return self.apply(replace(self.settings.value, members=members))

    def set_param(self, name: str, value) -> bool:
        """Set parameter ``name`` (value already checked by the control, checked again here)."""
        try:
            settings = self.settings.value.with_override(name, value)
        except _USER_ERRORS as err:
            self._report(err)
            return False
        return self.apply(settings)

    def reset_params(self) -> bool:
        """Drop the app's parameter overrides (back to the scenario's values)."""
        return self.apply(replace(self.settings.value, overrides=()))

    # ------------------------------------------------------------------ events
    def set_events(self, events) -> bool:
        """Replace the event list (checked field by field and by ``Scenario.with_events``)."""
        return self.apply(replace(self.settings.value, events=tuple(events)))

    def replace_event(self, index: int, event) -> int | None:
        """Put ``event`` at ``index``; returns its position after re-sorting by day, or None."""
        events = list(self.settings.value.events)
        events[index] = event
        if not self.set_events(events):
            return None
        return _position(self.settings.value.events, event, index)

    def remove_event(self, index: int) -> bool:
        """Remove the event at ``index``."""
        events = list(self.settings.value.events)
        del events[index]
        return self.set_events(events)

    def add_event(self, kind: str) -> int | None:
        """Add a new event of ``kind`` (day 1, first allowed values); returns its position."""
        settings = self.settings.value
        try:
            event = blank_event(kind, settings.base, settings.events)
        except _USER_ERRORS as err:
            self._report(err)
            return None
        if not self.set_events(list(settings.events) + [event]):
            return None
        return _position(self.settings.value.events, event, len(self.settings.value.events) - 1)

    def reset_events(self) -> bool:
        """Back to the loaded scenario's own events."""
        return self.set_events(self.settings.value.base.events)

    # ------------------------------------------------------------------ stepping
    def step(self) -> None:
        """Advance one day."""
        if self.busy.value or not self.session.running:
            return
        try:
            self._publish(self.session.step())
        except Exception as err:  # noqa: BLE001
            self._unexpected(err, "step")

    def run_to_end(self) -> bool:
        """Step to election day in the background, with progress by day."""
        def work():
            def on_day(snap):
                self.progress.value = snap.day / snap.election_day
            self._publish(self.session.run_to_end(on_day=on_day))

        return self.session.running and self._start("running to election day", work)

    def toggle_play(self) -> None:
        """Play (one day every PLAY_DELAY seconds, in the background) or pause."""
        if self.playing.value:
            self.playing.value = False
            return
        if not self.session.running:
            return

        def work():
            while self.playing.value and self.session.running:
                snap = self.session.step()
                self._publish(snap)
                self.progress.value = snap.day / snap.election_day
                if self.session.running:
                    time.sleep(PLAY_DELAY)

        self.playing.value = True
        if not self._start("playing", work):
            self.playing.value = False

    def reset(self) -> None:
        """A fresh model with the same settings (day 0)."""
        self.playing.value = False
        if self.busy.value and self.busy.value != "playing":
            return
        try:
            self._publish(self.session.reset())
        except Exception as err:  # noqa: BLE001
            self._unexpected(err, "reset")

    def resample(self, centre_kind: str | None = None) -> None:
        """Another ego sample (or one centred on another kind of member)."""
        try:
            self._publish(self.session.resample(centre_kind))
        except ValueError as err:
            self._report(err)

    # ------------------------------------------------------------------ experiments
    def _start_experiment(self, label: str, work: Callable[[Callable[[float], None], Callable[[], bool]], None]) -> bool:
        with self._claim:
            if self.experiment_busy.value:
                self.message.value = f"Busy ({self.experiment_busy.value}); wait for it or cancel it."
                return False
            self.experiment_busy.value = label
            self.experiment_progress.value = 0.0
        self._cancel_experiment.clear()

        def progress(fraction: float) -> None:
            self.experiment_progress.value = fraction

        def body():
            try:
                work(progress, self._cancel_experiment.is_set)
            except _USER_ERRORS as err:
                self._report(err)
            except Exception as err:  # noqa: BLE001
                self._unexpected(err, "experiment")
            finally:
                self.experiment_progress.value = None
                self.experiment_busy.value = None

        if self._experiment_runner is None:
            body()
        else:
            self._experiment_runner(body)
        return True

    def cancel_experiment(self) -> None:
        """Stop the running replicates or comparison after the current run (keeps runs done)."""
        self._cancel_experiment.set()

    def start_replicates(self, count_text) -> bool:
        """Run the current settings on N seeds from ``replicate_seeds(seed, N)`` in the background."""
        settings = self.settings.value
        try:
            count = _parse_count(count_text)
            scn = settings.scenario()
        except _USER_ERRORS as err:
            self._report(err)
            return False

        def work(progress, cancelled):
            runs = run_replicates(scn, settings.seed, count, settings.members, progress, cancelled)
            if not runs:
                return
            self.replicates.value = ReplicateResult(
                runs=tuple(runs), summary=distribution(runs, scn.finalists[0]), finalists=tuple(scn.finalists),
                observed=_observed(scn), cancelled=len(runs) < count,
                description=f"{scn.name}{' (edited)' if settings.edited else ''}, {len(runs)} of {count} seeds from "
                            f"replicate_seeds({settings.seed}, {count}), {settings.members:,} members")

        return self._start_experiment(f"{count} replicates", work)

    def compare_choices(self) -> tuple[list[str], list[str]]:
        """The baseline and counterfactual choices of the Compare view."""
        names = builtin_names()
        return [LOADED] + names, [CURRENT] + names

    def start_comparison(self, baseline: str, counterfactual: str, count_text) -> bool:
        """Run ``baseline`` and ``counterfactual`` on the same seeds in the background."""
        settings = self.settings.value
        try:
            count = _parse_count(count_text)
            base_scn = self._resolve(baseline, settings)
            cf_scn = self._resolve(counterfactual, settings)
        except _USER_ERRORS as err:
            self._report(err)
            return False

        def work(progress, cancelled):
            cmp = run_comparison(base_scn, cf_scn, settings.seed, count, settings.members,
                                 baseline_name=_label(baseline, settings), counterfactual_name=_label(counterfactual, settings),
                                 progress=progress, cancelled=cancelled)
            if not cmp.baseline:
                return
            a = base_scn.finalists[0]
            self.comparison.value = ComparisonResult(
                comparison=cmp, baseline=distribution(cmp.baseline, a), counterfactual=distribution(cmp.counterfactual, a),
                finalists=tuple(base_scn.finalists), observed=_observed(base_scn), cancelled=len(cmp.baseline) < count,
                description=f"{len(cmp.baseline)} of {count} seed pairs from replicate_seeds({settings.seed}, {count}), "
                            f"{settings.members:,} members")

        return self._start_experiment(f"comparing on {count} seeds", work)

    @staticmethod
    def _resolve(choice: str, settings: Settings) -> Scenario:
        if choice == CURRENT:
            return settings.scenario()
        if choice == LOADED:
            return settings.base
        if choice in builtin_names():
            return load_scenario(choice)
        raise ValueError(f"compare: {choice!r} is not a choice; allowed: {CURRENT}, {LOADED}, "
                         f"{', '.join(builtin_names())}")


def _label(choice: str, settings: Settings) -> str:
    if choice == CURRENT:
        return f"{settings.base.name} as edited" if settings.edited else f"{settings.base.name} (current)"
    if choice == LOADED:
        return settings.base.name
    return choice


def _observed(scn: Scenario) -> dict | None:
    if scn.observed is None:
        return None
    return {"votes": dict(scn.observed.votes), "shares": scn.observed.shares(), "turnout": scn.observed.turnout}


def _parse_count(text) -> int:
    from runoff_abm.viz.experiments import MAX_REPLICATES

    raw = str(text).strip()
    try:
        count = int(raw)
    except ValueError:
        raise ValueError(f"runs: {raw!r} is not a whole number; allowed: 1 to {MAX_REPLICATES}") from None
    if not 1 <= count <= MAX_REPLICATES:
        raise ValueError(f"runs: {count} is out of range; allowed: 1 to {MAX_REPLICATES}")
    return count


def _position(events, event, fallback: int) -> int:
    for i, e in enumerate(events):
        if e is event or e == event:
            return i
    return min(fallback, len(events) - 1)
