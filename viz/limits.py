"""What one browser session may ask of the server, set by the teacher when starting ``runoff viz``.

A class shares one machine. The limits here are enforced by the server whatever a page or a
file asks for (``docs/security.md``):

* members per model: the scenario's roll, and never more than :attr:`ServerLimits.max_members`
  (default 66,310, the 2011 roll; ``runoff viz --max-members N``);
* runs per replicates or compare request (``--max-replicates``);
* background jobs (run to election day, large builds, replicates, comparisons) running at once
  per session (``--session-jobs``: 1 means one job at a time, 2 lets an experiment run beside a
  model job) and on the whole server (``--max-jobs``; more wait their turn, cancellable);
* a wall-clock cap per job (``--job-seconds``): a job stops at the next day or run after it, and
  keeps what it finished;
* uploaded files: :data:`runoff_abm.model.limits.UPLOAD_LIMITS` (size, nesting, counts; ``base`` only
  a built-in scenario), the size checked before the file is transferred.

The command line passes its options to the server process in the environment variable
:data:`ENV` (JSON); :func:`server_limits` reads it once. :data:`JOB_SLOTS` is the one server-wide
object: a counting semaphore of job slots (no session data).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields

from runoff_abm.model.inputs import MAX_MEMBERS

__all__ = ["ServerLimits", "DEFAULTS", "ENV", "server_limits", "set_server_limits", "JobSlots", "JOB_SLOTS",
           "LimitError"]

#: The environment variable through which ``runoff viz`` hands its limits to the app.
ENV = "RUNOFF_VIZ_LIMITS"


class LimitError(ValueError):
    """A request beyond the server's limits (shown as the app's ordinary message)."""


@dataclass(frozen=True)
class ServerLimits:
    """The server's limits per session and per job (see the module docstring).

    Attributes:
        max_members: most members in one model (and the roll if smaller).
        max_replicates: most runs in one replicates or compare request.
        session_jobs: background jobs one session may run at once (1 or 2).
        max_jobs: background jobs running at once on the server.
        job_seconds: wall-clock cap of one background job, in seconds.
    """

    max_members: int = 66_310
    max_replicates: int = 200
    session_jobs: int = 1
    max_jobs: int = 2
    job_seconds: float = 120.0

    def check(self) -> ServerLimits:
        """Return self if every limit is in its allowed range; raise LimitError naming the option."""
        rules = {"max_members": (100, MAX_MEMBERS), "max_replicates": (1, 10_000), "session_jobs": (1, 2),
                 "max_jobs": (1, 64), "job_seconds": (1, 86_400)}
        for name, (low, high) in rules.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                option = "--" + name.replace("_", "-")
                raise LimitError(f"{option} {value!r}: allowed {low:,} to {high:,}")
        return self

    def to_json(self) -> str:
        """The limits as JSON (passed to the server process in the environment)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServerLimits:
        """The limits read back from :meth:`to_json`, checked."""
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known}).check()


DEFAULTS = ServerLimits()
_current: ServerLimits | None = None
_lock = threading.Lock()


def server_limits() -> ServerLimits:
    """The limits of this server (from :data:`ENV`, else the defaults); read once."""
    global _current
    with _lock:
        if _current is None:
            text = os.environ.get(ENV)
            _current = ServerLimits.from_json(text) if text else DEFAULTS
            JOB_SLOTS.resize(_current.max_jobs)
        return _current


def set_server_limits(limits: ServerLimits | None) -> None:
    """Use ``limits`` from now on (None: read :data:`ENV` again); also resizes :data:`JOB_SLOTS`."""
    global _current
    with _lock:
        _current = limits.check() if limits is not None else None
    JOB_SLOTS.resize(server_limits().max_jobs)  # reads ENV again when limits is None


class JobSlots:
    """A server-wide counting semaphore of background job slots, with a queue length to show.

    Args:
        size: slots (jobs running at once).
    """

    def __init__(self, size: int):
        self._cond = threading.Condition()
        self.size = size
        self.running = 0
        self.waiting = 0

    def resize(self, size: int) -> None:
        """Change the number of slots (waiters are woken to re-check)."""
        with self._cond:
            self.size = size
            self._cond.notify_all()

    def acquire(self, cancelled: Callable[[], bool] = lambda: False, on_wait: Callable[[int], None] | None = None,
                deadline: float | None = None) -> bool:
        """Take a slot, waiting while all are in use; False if cancelled or past ``deadline`` first.

        Args:
            cancelled: polled while waiting.
            on_wait: called with the number of jobs ahead while waiting.
            deadline: a ``time.monotonic()`` value after which to give up.
        """
        with self._cond:
            if self.running < self.size:
                self.running += 1
                return True
            self.waiting += 1
            try:
                while self.running >= self.size:
                    if cancelled() or (deadline is not None and time.monotonic() > deadline):
                        return False
                    if on_wait is not None:
                        on_wait(self.running + self.waiting - 1)
                    self._cond.wait(timeout=0.25)
                self.running += 1
                return True
            finally:
                self.waiting -= 1

    def release(self) -> None:
        """Give a slot back and wake one waiter."""
        with self._cond:
            self.running = max(0, self.running - 1)
            self._cond.notify()


#: The server's job slots (resized by :func:`set_server_limits`).
JOB_SLOTS = JobSlots(DEFAULTS.max_jobs)
