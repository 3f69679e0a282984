"""Helpers to run the app as a real server for browser tests and demos.

:class:`AppServer` starts ``runoff viz`` on 127.0.0.1 and a free port in a subprocess, waits
until it answers, and stops it (terminate, then kill) on exit. :func:`chromium` finds Debian's
Chromium, which Playwright drives (Playwright's own browser download is not used).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "NO_ANIMATION_SCRIPT", "AppServer", "free_port", "chromium"]

#: Debian's Chromium (``apt-get install chromium``).
CHROMIUM = "/usr/bin/chromium"
#: Flags for a headless Chromium in a container with no network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

#: An init script (``BrowserContext.add_init_script``) that turns off CSS animations and
#: transitions in a page. Solara shows an animated, indeterminate "busy" bar in every page that
#: waits more than 300 ms for the server; thirty such pages software-rendered on the same two
#: cores as the server took ~30x more CPU than the pages' real work and starved the server they
#: were waiting for. Students' browsers run on their own machines, so a test that puts a whole
#: class on one machine turns the animations off (as Playwright's screenshots do).
NO_ANIMATION_SCRIPT = """document.addEventListener('DOMContentLoaded', () => {
  const style = document.createElement('style');
  style.textContent = '*, *::before, *::after { animation: none !important; transition: none !important; }';
  document.head.appendChild(style);
});"""

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium() -> str | None:
    """Path of Debian's Chromium, or None when it is not installed."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    found = shutil.which("chromium")
    return found


class AppServer:
    """The app served by a subprocess on 127.0.0.1 (a context manager).

    Args:
        port: port to use (default: a free one).
        timeout: seconds to wait for the first answer.
        log: file to write the server's output to (default: discarded).
        log_level: the server's log level (``--log-level``).
        priority: a nice value for the server process (e.g. -10 to run it ahead of browsers on
            the same machine; needs root, silently kept at the default otherwise).
        args: further ``runoff viz`` options (e.g. ``["--max-members", "20000"]``).
    """

    def __init__(self, port: int | None = None, timeout: float = 90.0, log: Path | None = None,
                 log_level: str = "warning", priority: int | None = None, args: list[str] | None = None):
        self.port = port or free_port()
        self.log_level = log_level
        self.priority = priority
        self.timeout = timeout
        self.log = log
        self.args = list(args or [])
        self.process: subprocess.Popen | None = None
        self._log_file = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> AppServer:
        """Start the server and wait until it answers; raise RuntimeError if it does not."""
        out = subprocess.DEVNULL
        if self.log is not None:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            self._log_file = open(self.log, "w")  # noqa: SIM115 - closed in stop()
            out = self._log_file
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen([sys.executable, "-m", "runoff_abm.viz", "--host", "127.0.0.1", "--port", str(self.port),
                                         "--log-level", self.log_level, *self.args],
                                        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        if self.priority is not None:
            try:
                os.setpriority(os.PRIO_PROCESS, self.process.pid, self.priority)
            except (PermissionError, OSError):
                pass
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the app server exited with status {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the app server did not answer on {self.url} within {self.timeout:.0f} s")

    def stop(self) -> None:
        """Stop the server (terminate, then kill after 10 s)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def alive(self) -> bool:
        """True while the server process runs."""
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
