"""Per-session app state: the session's model plus the reactive values the components read.

:class:`AppState` is created once per browser session (by ``viz.app.Page`` in a ``use_memo``),
never at module level, so two sessions never share a model, settings, results or messages. It
holds one :class:`~runoff_abm.viz.session.Session` and Solara reactive values: components that
read a value re-render when it changes (stepping re-renders the views, not the controls).

Every user action is a method here. Quick actions (a step, a rebuild at the default size) run at
once; long ones (run to election day, a large rebuild, replicates, comparisons) run in Solara
threaded tasks with progress, within the server's limits (:mod:`runoff_abm.viz.limits`): one or
two jobs per session, a bounded number of heavy jobs on the server (the rest wait their turn), a
wall-clock cap per job. Bad input never raises into Solara: an input error becomes a *problem*
shown beside the field that caused it (:attr:`AppState.problems`, keyed by area: ``seed``,
``members``, ``upload``, ``param:NAME``, ``event:I``, ``replicates``, ``compare``, ``general``), in a
student's words (:mod:`runoff_abm.viz.messages`), and the previous settings stay in force. A bug
is logged with its traceback on the server; the page shows a short reference, never the
traceback.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import solara

from runoff_abm.model.errors import InputError, RunoffError
from runoff_abm.model.events import parse_event
from runoff_abm.model.params import parse_value
from runoff_abm.model.scenario import Scenario, builtin_names, load_scenario
from runoff_abm.viz import share
from runoff_abm.viz.events import change_kind, new_event
from runoff_abm.viz.experiments import (
    Comparison,
    Distribution,
    RunSummary,
    distribution,
    run_comparison,
    run_replicates,
)
from runoff_abm.viz.limits import JOB_SLOTS, ServerLimits, server_limits
from runoff_abm.viz.messages import field_problem, student_text, unexpected
from runoff_abm.viz.session import (
    LARGE_MEMBERS,
    RunRecord,
    Session,
    Settings,
    Snapshot,
    check_upload_size,
    load_uploaded,
    parse_members,
    parse_seed,
)

__all__ = ["AppState", "ReplicateResult", "ComparisonResult", "PLAY_DELAY", "CURRENT", "LOADED"]

logger = logging.getLogger(__name__)

#: Seconds between days while playing.
PLAY_DELAY = 0.5
#: Compare choices that stand for the user's settings and for the loaded scenario unedited.
CURRENT = "current settings"
LOADED = "loaded scenario (unedited)"

_USER_ERRORS = (RunoffError, ValueError)


def _same(a, b) -> bool:
    return a is b


@dataclass(frozen=True)
class ReplicateResult:
    """Replicate runs of one configuration and their summary.

    Attributes:
        name: the run's name (scenario and changes); key: the settings it was made with.
        stopped: why it stopped early ("" when complete).
    """

    runs: tuple[RunSummary, ...]
    summary: Distribution
    finalists: tuple[str, str]
    observed: dict | None
    description: str
    name: str = ""
    key: tuple = ()
    requested: int = 0
    stopped: str = ""


@dataclass(frozen=True)
class ComparisonResult:
    """A baseline/counterfactual comparison and summaries of both sides."""

    comparison: Comparison
    baseline: Distribution
    counterfactual: Distribution
    finalists: tuple[str, str]
    observed: dict | None
    description: str
    key: tuple = ()
    requested: int = 0
    stopped: str = ""


def _area(err: Exception, default: str) -> str:
    """The page area a user error belongs to (the field that caused it)."""
    problem = field_problem(err)
    f = problem.field
    if f.startswith("events[") and "]" in f:
        index = f[len("events["):f.index("]")]
        if index.isdigit():
            return f"event:{index}"
    if f.startswith("parameters."):
        return "param:" + f.split(".", 1)[1]
    if isinstance(err, InputError) and err.source in ("seed", "members") and default not in ("upload",):
        return err.source
    return default


class AppState:
    """Everything one browser session owns. See the module docstring.

    Args:
        session: the session to drive (default: a new one on ``labor-2011``).
        limits: the server's limits (default: :func:`~runoff_abm.viz.limits.server_limits`).
    """

    def __init__(self, session: Session | None = None, limits: ServerLimits | None = None):
        self.limits = limits or server_limits()
        self.session = session or Session(limits=self.limits)
        self.session.limits = self.limits
        self.settings = solara.reactive(self.session.settings, equals=_same)
        self.snapshot = solara.reactive(self.session.snapshot(), equals=_same)
        self.problems: solara.Reactive[dict[str, str]] = solara.reactive({}, equals=_same)
        self.notice: solara.Reactive[str | None] = solara.reactive(None)
        self.warning: solara.Reactive[str | None] = solara.reactive(None)
        self.busy: solara.Reactive[str | None] = solara.reactive(None)
        self.progress: solara.Reactive[float | None] = solara.reactive(None)
        self.queued: solara.Reactive[str | None] = solara.reactive(None)
        self.playing = solara.reactive(False)
        self.pinned: solara.Reactive[RunRecord | None] = solara.reactive(None, equals=_same)
        self.replicates: solara.Reactive[ReplicateResult | None] = solara.reactive(None, equals=_same)
        self.comparison: solara.Reactive[ComparisonResult | None] = solara.reactive(None, equals=_same)
        self.experiment_busy: solara.Reactive[str | None] = solara.reactive(None)
        self.experiment_progress: solara.Reactive[float | None] = solara.reactive(None)
        self._cancel_experiment = threading.Event()
        self._stop_model = threading.Event()
        self._claim = threading.Lock()
        self._model_runner: Callable | None = None
        self._experiment_runner: Callable | None = None

    def bind(self, model_runner: Callable | None, experiment_runner: Callable | None) -> None:
        """Give the state the threaded runners (Solara tasks) for long jobs; None runs inline."""
        self._model_runner = model_runner
        self._experiment_runner = experiment_runner

    def close(self) -> None:
        """Stop playing and any job, and release the model (the browser session has ended)."""
        self.playing.value = False
        self._cancel_experiment.set()
        self._stop_model.set()
        self.session.close()

    # ------------------------------------------------------------------ problems
    def problem(self, area: str) -> str | None:
        """The problem shown in ``area`` (None when there is none)."""
        return self.problems.value.get(area)

    def _set_problem(self, area: str, text: str) -> None:
        self.problems.value = {**self.problems.value, area: text}

    def _clear(self, *areas: str) -> None:
        current = self.problems.value
        if any(a in current for a in areas):
            self.problems.value = {k: v for k, v in current.items() if k not in areas}

    def _clear_settings_problems(self) -> None:
        current = self.problems.value
        keep = {k: v for k, v in current.items() if k in ("replicates", "compare", "upload")}
        if keep != current:
            self.problems.value = keep

    def _report(self, err: Exception, area: str = "general") -> None:
        self._set_problem(_area(err, area), field_problem(err).text)

    def _unexpected(self, err: Exception, what: str) -> None:
        """A bug: logged with its traceback on the server; the page shows a short reference."""
        self._set_problem("general", unexpected(err, what))

    def dismiss(self, area: str = "general") -> None:
        """Hide the problem shown in ``area``."""
        self._clear(area)

    @property
    def message(self):
        """The general problem (kept for callers that read one message)."""
        return _Message(self)

    def _publish(self, snap: Snapshot) -> None:
        """Show ``snap`` unless a newer snapshot is already shown (jobs may finish out of order)."""
        current = self.snapshot.value
        if current is None or snap.serial >= current.serial:
            self.snapshot.value = snap

    def guard(self, what: str, action: Callable, *args, area: str = "general"):
        """Call ``action(*args)``: a user error becomes a problem in ``area``, a bug a logged reference."""
        try:
            return action(*args)
        except _USER_ERRORS as err:
            self._report(err, area)
        except Exception as err:  # noqa: BLE001 - the page must stay up whatever happens
            self._unexpected(err, what)
        return None

    # ------------------------------------------------------------------ jobs
    def _session_busy(self) -> str | None:
        if self.busy.value:
            return self.busy.value
        if self.limits.session_jobs < 2 and self.experiment_busy.value:
            return self.experiment_busy.value
        return None

    def _heavy(self) -> bool:
        return self.settings.value.members >= LARGE_MEMBERS

    def _run_limited(self, work: Callable[[Callable[[], bool]], None], cancel: threading.Event,
                     heavy: bool) -> str:
        """Run ``work(stop)`` within the server's limits; returns why it stopped early ("" if not).

        ``stop()`` turns True when the user cancels or the job's wall-clock cap has passed; heavy
        jobs first wait for one of the server's job slots.
        """
        deadline = time.monotonic() + self.limits.job_seconds
        if heavy:
            def waiting(ahead: int) -> None:
                self.queued.value = f"waiting for the server: {ahead} job{'s' if ahead != 1 else ''} ahead"

            got = JOB_SLOTS.acquire(cancelled=cancel.is_set, on_wait=waiting, deadline=deadline)
            self.queued.value = None
            if not got:
                return "cancelled while waiting" if cancel.is_set() else \
                    f"the server stayed busy for {self.limits.job_seconds:g} s; try again"
        try:
            timed_out = False

            def stop() -> bool:
                nonlocal timed_out
                if time.monotonic() > deadline:
                    timed_out = True
                return cancel.is_set() or timed_out

            work(stop)
            if timed_out:
                return f"stopped at the server's limit of {self.limits.job_seconds:g} s per job"
            return "cancelled" if cancel.is_set() else ""
        finally:
            if heavy:
                JOB_SLOTS.release()

    def _start(self, label: str, work: Callable[[Callable[[], bool]], None], heavy: bool = False,
               area: str = "general") -> bool:
        """Run ``work(stop)`` as the session's model job (in a thread when a runner is bound)."""
        with self._claim:
            busy = self._session_busy()
            if busy:
                self._set_problem("general", f"Busy ({busy}); wait for it to finish, or stop it.")
                return False
            self.busy.value = label
            self.progress.value = None
        self._stop_model.clear()

        def body():
            try:
                why = self._run_limited(work, self._stop_model, heavy)
                if why and why != "cancelled":
                    self._set_problem("general", f"{label}: {why}.")
            except _USER_ERRORS as err:
                self._report(err, area)
            except Exception as err:  # noqa: BLE001 - the page must stay up whatever happens
                self._unexpected(err, label)
            finally:
                self.playing.value = False
                self.progress.value = None
                self.busy.value = None

        if self._model_runner is None:
            body()
        else:
            self._model_runner(body)
        return True

    def stop(self) -> None:
        """Stop playing or running to election day (after the current day)."""
        self.playing.value = False
        self._stop_model.set()

    # ------------------------------------------------------------------ settings
    def apply(self, settings: Settings, area: str = "general") -> bool:
        """Use ``settings`` (a fresh model at day 0). Returns False and shows a problem in ``area``
        (or at the field named by the error) if they are not allowed. Large models are built in
        the background."""
        try:
            settings.scenario()
            parse_members(settings.members, settings.base, self.limits)
            parse_seed(settings.seed)
            settings.model_rules()
        except _USER_ERRORS as err:
            self._report(err, area)
            return False
        except Exception as err:  # noqa: BLE001
            self._unexpected(err, "applying the settings")
            return False
        self.playing.value = False

        def build(stop=None):
            snap = self.session.configure(settings)
            self.settings.value = self.session.settings
            self._publish(snap)
            self._clear_settings_problems()

        if settings.members >= LARGE_MEMBERS and self._model_runner is not None:
            return self._start(f"building {settings.members:,} members", build, heavy=True, area=area)
        try:
            build()
        except _USER_ERRORS as err:
            self._report(err, area)
            return False
        except Exception as err:  # noqa: BLE001
            self._unexpected(err, "building the model")
            return False
        return True

    def choose_builtin(self, name: str) -> bool:
        """Load built-in scenario ``name`` (keeping seed and member count where allowed)."""
        try:
            settings = Settings.builtin(name, seed=self.settings.value.seed, members=self.settings.value.members,
                                        limits=self.limits)
        except _USER_ERRORS as err:
            self._report(err, "scenario")
            return False
        ok = self.apply(settings, "scenario")
        if ok:
            self.notice.value = None
            self.warning.value = None
            self._clear("upload", "scenario")
        return ok

    def upload_allowed(self, name: str, size: int) -> bool:
        """Check a file by name and size before its content is transferred."""
        try:
            check_upload_size(name, size)
        except _USER_ERRORS as err:
            self._set_problem("upload", f"Not loaded: {field_problem(err).text}")
            return False
        return True

    def upload_failed(self, name: str) -> None:
        """The transfer of an uploaded file broke off."""
        self._set_problem("upload", f"Not loaded: {student_text(name)}: the file did not arrive completely; "
                          "try again")

    def upload(self, name: str, data: bytes) -> bool:
        """Load an uploaded scenario file; a bad file shows why beside the upload control and the
        scenario in use stays."""
        self.notice.value = None
        try:
            up = load_uploaded(name, data)
            settings = Settings.initial(up.scenario, f"upload: {up.scenario.path}", seed=self.settings.value.seed,
                                        members=self.settings.value.members, limits=self.limits)
        except _USER_ERRORS as err:
            self._set_problem("upload", f"Not loaded: {field_problem(err).text}")
            return False
        except RecursionError:
            self._set_problem("upload", f"Not loaded: {student_text(name)}: nested too deeply")
            return False
        except Exception as err:  # noqa: BLE001
            self._set_problem("upload", unexpected(err, "the upload"))
            return False
        ok = self.apply(settings, "upload")
        if ok:
            scn = up.scenario
            self._clear("upload", "scenario")
            self.notice.value = f"Loaded {scn.path}: {scn.title} ({len(scn.events)} events)."
            self.warning.value = None
            if up.replaced_events is not None:
                self.warning.value = (
                    f"{scn.path} builds on {up.base} and lists its own events: its {len(scn.events)} event"
                    f"{'s' if len(scn.events) != 1 else ''} replace all {up.replaced_events} events of {up.base} "
                    f"(a file's events list replaces its base's). To keep them, copy them into your file, or "
                    f"load {up.base} and add your events in the editor.")
        return ok

    def set_seed(self, text) -> bool:
        """Set the master seed from text (cast to int; Mesa treats 42 and "42" differently)."""
        try:
            seed = parse_seed(text)
        except _USER_ERRORS as err:
            self._report(err, "seed")
            return False
        return self.apply(replace(self.settings.value, seed=seed), "seed")

    def set_members(self, text) -> bool:
        """Set the member count from text (allowed: 100 to the roll, within the server's limit)."""
        try:
            members = parse_members(text, self.settings.value.base, self.limits)
        except _USER_ERRORS as err:
            self._report(err, "members")
            return False
        return self.apply(replace(self.settings.value, members=members), "members")

    def set_param(self, name: str, value) -> bool:
        """Set parameter ``name`` (value already checked by the control, checked again here)."""
        try:
            settings = self.settings.value.with_override(name, value)
        except _USER_ERRORS as err:
            self._report(err, f"param:{name}")
            return False
        return self.apply(settings, f"param:{name}")

    def set_param_text(self, name: str, text: str) -> bool:
        """Set parameter ``name`` from typed text (checked by the model's parser)."""
        try:
            value = parse_value(name, str(text).strip())
        except _USER_ERRORS as err:
            self._set_problem(f"param:{name}", field_problem(err).text)
            return False
        return self.set_param(name, value)

    def reset_params(self) -> bool:
        """Drop the app's parameter overrides (back to the scenario's values)."""
        self._clear(*[k for k in self.problems.value if k.startswith("param:")])
        return self.apply(replace(self.settings.value, overrides=()))

    def set_rule(self, slot: str, name: str | None) -> bool:
        """Use exercise rule ``name`` for ``slot`` (None: the model's own rule)."""
        rules = tuple((s, n) for s, n in self.settings.value.rules if s != slot)
        if name:
            rules += ((slot, name),)
        return self.apply(replace(self.settings.value, rules=tuple(sorted(rules))), "rules")

    # ------------------------------------------------------------------ events
    def set_events(self, events, area: str = "events") -> bool:
        """Replace the event list (checked field by field and by ``Scenario.with_events``)."""
        return self.apply(replace(self.settings.value, events=tuple(events)), area)

    def replace_event(self, index: int, event) -> int | None:
        """Put ``event`` at ``index``; returns its position after re-sorting by day, or None."""
        events = list(self.settings.value.events)
        events[index] = event
        if not self.set_events(events, f"event:{index}"):
            return None
        self._clear(f"event:{index}")
        return _position(self.settings.value.events, event, index)

    def edit_event_kind(self, index: int, kind: str) -> int | None:
        """Change the kind of event ``index`` (day and shared fields kept)."""
        settings = self.settings.value
        events = list(settings.events)
        others = events[:index] + events[index + 1:]
        try:
            event = change_kind(events[index], kind, settings.base, others, index)
        except _USER_ERRORS as err:
            self._report(err, f"event:{index}")
            return None
        return self.replace_event(index, event)

    def remove_event(self, index: int) -> bool:
        """Remove the event at ``index``."""
        events = list(self.settings.value.events)
        del events[index]
        ok = self.set_events(events)
        if ok:
            self._clear(*[k for k in self.problems.value if k.startswith("event:")])
        return ok

    def add_event(self, kind: str) -> int | None:
        """Add a new event of ``kind`` (day 1, allowed names, numbers like the scenario's own);
        returns its position."""
        settings = self.settings.value
        try:
            event = new_event(kind, settings.base, settings.events)
        except _USER_ERRORS as err:
            self._report(err, "events")
            return None
        if not self.set_events(list(settings.events) + [event]):
            return None
        return _position(self.settings.value.events, event, len(self.settings.value.events) - 1)

    def reset_events(self) -> bool:
        """Back to the loaded scenario's own events."""
        self._clear(*[k for k in self.problems.value if k.startswith("event:")], "events")
        return self.set_events(self.settings.value.base.events)

    # ------------------------------------------------------------------ links
    def link_query(self) -> str | None:
        """The query string of a link that reproduces the current settings (None for an upload)."""
        s = self.settings.value
        if not s.is_builtin:
            return None
        tables = [e.to_table() for e in s.events] if tuple(s.events) != tuple(s.base.events) else None
        return share.encode(s.source, s.seed, s.members, s.overrides, tables, s.rules)

    def apply_link(self, query: str | None) -> bool:
        """Apply the settings of a link's query string (checked like typed input); False and a
        problem if the link is not valid (the page keeps its settings)."""
        try:
            request = share.decode(query)
            if request is None:
                return False
            settings = self._link_settings(request)
        except _USER_ERRORS as err:
            self._set_problem("general", "This link's settings were not applied: " + field_problem(err).text)
            return False
        return self.apply(settings)

    def _link_settings(self, req: share.LinkRequest) -> Settings:
        if req.scenario not in builtin_names():
            raise InputError("link", "scenario", f"{req.scenario[:60]!r} is not a built-in scenario; allowed: "
                             f"{', '.join(builtin_names())}")
        base = load_scenario(req.scenario)
        settings = Settings.initial(base, req.scenario, limits=self.limits)
        if req.seed is not None:
            settings = replace(settings, seed=parse_seed(req.seed))
        if req.members is not None:
            settings = replace(settings, members=parse_members(req.members, settings.base, self.limits))
        for name, text in req.overrides:
            settings = settings.with_override(name, parse_value(name, text))
        if req.events is not None:
            events = [parse_event(t, settings.base, f"events[{i}]", source="link") for i, t in enumerate(req.events)]
            settings = replace(settings, events=tuple(events))
        if req.rules:
            settings = replace(settings, rules=tuple(sorted(req.rules)))
            settings.model_rules()
        settings.scenario()
        return settings

    # ------------------------------------------------------------------ stepping
    def step(self) -> None:
        """Advance one day."""
        if self.busy.value or not self.session.running:
            return
        try:
            self._publish(self.session.step())
        except _USER_ERRORS as err:
            self._report(err)
        except Exception as err:  # noqa: BLE001
            self._unexpected(err, "step")

    def run_to_end(self) -> bool:
        """Step to election day in the background, with progress by day (stoppable)."""
        def work(stop):
            def on_day(snap):
                self.progress.value = snap.day / snap.election_day
            self._publish(self.session.run_to_end(on_day=on_day, cancelled=stop))

        return self.session.running and self._start("running to election day", work, heavy=self._heavy())

    def toggle_play(self) -> None:
        """Play (one day every PLAY_DELAY seconds, in the background) or pause."""
        if self.playing.value:
            self.playing.value = False
            return
        if not self.session.running:
            return

        def work(stop):
            while self.playing.value and self.session.running and not stop():
                snap = self.session.step()
                self._publish(snap)
                self.progress.value = snap.day / snap.election_day
                if self.session.running:
                    time.sleep(PLAY_DELAY)

        self.playing.value = True
        if not self._start("playing", work, heavy=self._heavy()):
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

    # ------------------------------------------------------------------ pins
    def pin(self) -> bool:
        """Keep the finished run shown now, to compare the next one beside it."""
        record = self.snapshot.value.record()
        if record is None:
            self._set_problem("general", "Run to election day first: a run can be pinned once it has a result.")
            return False
        self.pinned.value = record
        return True

    def unpin(self) -> None:
        """Forget the pinned run."""
        self.pinned.value = None

    def current_record(self) -> RunRecord | None:
        """The finished run shown now (None before election day)."""
        return self.snapshot.value.record()

    # ------------------------------------------------------------------ experiments
    def _start_experiment(self, label: str, area: str, work: Callable[[Callable[[float], None],
                                                                         Callable[[], bool]], None]) -> bool:
        with self._claim:
            if self.experiment_busy.value:
                self._set_problem(area, f"Busy ({self.experiment_busy.value}); wait for it or cancel it.")
                return False
            if self.limits.session_jobs < 2 and self.busy.value:
                self._set_problem(area, f"Busy ({self.busy.value}); wait for it to finish first.")
                return False
            self.experiment_busy.value = label
            self.experiment_progress.value = 0.0
        self._cancel_experiment.clear()
        self._clear(area)

        def progress(fraction: float) -> None:
            self.experiment_progress.value = fraction

        def body():
            try:
                self._run_limited(lambda stop: work(progress, stop), self._cancel_experiment, heavy=True)
            except _USER_ERRORS as err:
                self._report(err, area)
            except Exception as err:  # noqa: BLE001
                self._set_problem(area, unexpected(err, label))
            finally:
                self.experiment_progress.value = None
                self.experiment_busy.value = None
                self.queued.value = None

        if self._experiment_runner is None:
            body()
        else:
            self._experiment_runner(body)
        return True

    def cancel_experiment(self) -> None:
        """Stop the running replicates or comparison after the current run (keeps runs done)."""
        self._cancel_experiment.set()

    def _why_stopped(self, done: int, count: int, started: float) -> str:
        if done >= count:
            return ""
        if time.monotonic() - started > self.limits.job_seconds:
            return f"stopped at the server's limit of {self.limits.job_seconds:g} s per job"
        return "cancelled"

    def start_replicates(self, count_text) -> bool:
        """Run the current settings on N seeds from ``replicate_seeds(seed, N)`` in the background."""
        settings = self.settings.value
        try:
            count = _parse_count(count_text, self.limits.max_replicates)
            scn = settings.scenario()
            rules = settings.model_rules()
        except _USER_ERRORS as err:
            self._set_problem("replicates", field_problem(err).text)
            return False
        name, key = settings.name(), settings.key()

        def work(progress, stop):
            started = time.monotonic()
            runs = run_replicates(scn, settings.seed, count, settings.members, progress, stop, rules=rules)
            if not runs:
                return
            self.replicates.value = ReplicateResult(
                runs=tuple(runs), summary=distribution(runs, scn.finalists[0]), finalists=tuple(scn.finalists),
                observed=_observed(scn), name=name, key=key, requested=count,
                stopped=self._why_stopped(len(runs), count, started),
                description=f"{len(runs)} of {count} runs, seeds replicate_seeds({settings.seed}, {count}), "
                            f"{settings.members:,} members")

        return self._start_experiment(f"{count} replicates", "replicates", work)

    def compare_choices(self) -> tuple[list[str], list[str]]:
        """The baseline and counterfactual choices of the Compare view."""
        names = builtin_names()
        return [LOADED] + names, [CURRENT] + names

    def start_comparison(self, baseline: str, counterfactual: str, count_text) -> bool:
        """Run ``baseline`` and ``counterfactual`` on the same seeds in the background."""
        settings = self.settings.value
        try:
            count = _parse_count(count_text, self.limits.max_replicates)
            base_scn, base_rules = self._resolve(baseline, settings)
            cf_scn, cf_rules = self._resolve(counterfactual, settings)
        except _USER_ERRORS as err:
            self._set_problem("compare", field_problem(err).text)
            return False
        names = (_label(baseline, settings), _label(counterfactual, settings))
        key = settings.key()

        def work(progress, stop):
            started = time.monotonic()
            cmp = run_comparison(base_scn, cf_scn, settings.seed, count, settings.members,
                                 baseline_name=names[0], counterfactual_name=names[1], progress=progress,
                                 cancelled=stop, baseline_rules=base_rules, counterfactual_rules=cf_rules)
            if not cmp.baseline:
                return
            a = base_scn.finalists[0]
            self.comparison.value = ComparisonResult(
                comparison=cmp, baseline=distribution(cmp.baseline, a), counterfactual=distribution(cmp.counterfactual, a),
                finalists=tuple(base_scn.finalists), observed=_observed(base_scn), key=key, requested=count,
                stopped=self._why_stopped(len(cmp.baseline), count, started),
                description=f"{len(cmp.baseline)} of {count} seed pairs from replicate_seeds({settings.seed}, {count}), "
                            f"{settings.members:,} members")

        return self._start_experiment(f"comparing on {count} seeds", "compare", work)

    @staticmethod
    def _resolve(choice: str, settings: Settings) -> tuple[Scenario, dict]:
        if choice == CURRENT:
            return settings.scenario(), settings.model_rules()
        if choice == LOADED:
            return settings.base, {}
        if choice in builtin_names():
            return load_scenario(choice), {}
        raise ValueError(f"compare: {choice[:60]!r} is not a choice; allowed: {CURRENT}, {LOADED}, "
                         f"{', '.join(builtin_names())}")


class _Message:
    """``state.message.value``: the general problem (read-only view for older callers and tests)."""

    def __init__(self, state: AppState):
        self._state = state

    @property
    def value(self) -> str | None:
        return self._state.problem("general")

    @value.setter
    def value(self, text: str | None) -> None:
        if text:
            self._state._set_problem("general", text)
        else:
            self._state.dismiss("general")


def _label(choice: str, settings: Settings) -> str:
    if choice == CURRENT:
        return settings.name()
    if choice == LOADED:
        return f"{settings.base.name} as loaded"
    return choice


def _observed(scn: Scenario) -> dict | None:
    if scn.observed is None:
        return None
    return {"votes": dict(scn.observed.votes), "shares": scn.observed.shares(), "turnout": scn.observed.turnout}


def _parse_count(text, limit: int) -> int:
    raw = str(text).strip()
    try:
        count = int(raw.replace(",", "").replace("_", ""))
    except ValueError:
        raise InputError("runs", "", f"{raw[:40]!r} is not a whole number; allowed: 1 to {limit:,}") from None
    if not 1 <= count <= limit:
        raise InputError("runs", "", f"{count:,} is out of range; allowed: 1 to {limit:,} (the server's limit)")
    return count


def _position(events, event, fallback: int) -> int:
    for i, e in enumerate(events):
        if e is event or e == event:
            return i
    return min(fallback, len(events) - 1)
