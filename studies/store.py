"""A sweep's output directory: manifest, design, and Parquet shards written as chunks finish.

Layout of ``DIR``::

    manifest.json      spec (as written), its hash, master seed, package versions, git commit,
                       design size, run counts and every failed run with its error
    design.parquet     one row per design point: point id, parameter values, factor levels
    shards/NNNNNN.parquet   rows of finished runs, one file per finished chunk
    .lock              the writer's lock (host and pid of the sweep that holds it)

Safety (``docs/security.md``):

- **One writer.** A sweep holds an exclusive ``flock`` on ``DIR/.lock`` for as long as it
  writes; a second sweep into the same directory is refused with the holder's host and pid.
  The kernel releases the lock when the holder dies, however it dies.
- **Killed at any moment, resumed.** Every file is written to a temporary name and renamed into
  place (atomic on POSIX), and only the main process writes. The manifest is written first, so
  a start-up killed before it leaves a directory with at most the design and an empty
  ``shards/``, which the next run adopts; a sweep killed later leaves whole shards only, and a
  resumed sweep runs the rest exactly once.
- **Disk full, read-only, damaged files.** Each gives one :class:`SweepError` naming the file
  and what to do; finished shards are never touched, so once the cause is fixed the same
  command resumes with nothing lost or duplicated.
- **No run counted twice.** :func:`load_results` keeps each run (point, replicate) once and
  refuses a directory that records one run two different ways.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import platform
import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from runoff_abm.model.errors import SweepError

__all__ = ["Store", "load_results", "versions", "git_commit"]

_SHARD = re.compile(r"^\d{6,}\.parquet$")

#: What to do about an OSError while writing, by errno.
_ADVICE = {
    errno.ENOSPC: "the disk is full: free space, then run the same command again to resume",
    errno.EDQUOT: "the disk quota is exceeded: free space, then run the same command again to resume",
    errno.EROFS: "the file system is read-only: give a writable --out, or remount it, then run again",
    errno.EACCES: "permission denied: give a writable --out, or fix the permissions, then run again",
    errno.EPERM: "permission denied: give a writable --out, or fix the permissions, then run again",
}


def versions() -> dict[str, str]:
    """Versions of the packages that determine results."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("runoff-abm", "mesa", "numpy", "scipy", "networkx", "pandas", "SALib", "pyarrow"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "absent"
    return out


def git_commit() -> str | None:
    """The commit of the source tree this package runs from, if it is a git checkout."""
    here = Path(__file__).resolve().parent.parent
    try:
        proc = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=5)
        if proc.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() + ("-dirty" if dirty else "")


def write_failed(path: Path, err: OSError) -> SweepError:
    """The one-line error for a file that could not be written (names the file and what to do)."""
    advice = _ADVICE.get(err.errno or 0, "fix the cause, then run the same command again to resume")
    return SweepError(f"{path}: cannot write ({err.strerror or err}); {advice}. Finished runs are kept")


def _atomic_write(path: Path, write: Callable[[Path], Any]) -> None:
    """Write ``path`` through a temporary file renamed into place; a failure leaves no trace
    and raises :class:`SweepError` naming ``path``."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise write_failed(path, err) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


class Store:
    """The output directory of one sweep."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.shards = self.root / "shards"
        self.manifest_path = self.root / "manifest.json"
        self.lock_path = self.root / ".lock"

    # ------------------------------------------------------------------ reading
    def exists(self) -> bool:
        """Whether the directory holds a sweep (its manifest)."""
        return self.manifest_path.is_file()

    def manifest(self) -> dict[str, Any]:
        """The manifest, or SweepError if it cannot be read."""
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except OSError as err:
            raise SweepError(f"{self.manifest_path}: cannot read ({err.strerror})") from None
        except (ValueError, UnicodeDecodeError) as err:
            raise SweepError(f"{self.manifest_path}: damaged ({type(err).__name__}); restore it from a "
                             "backup, or move the directory away and run the sweep again") from None
        if not isinstance(data, dict) or "spec_hash" not in data or "design" not in data:
            raise SweepError(f"{self.manifest_path}: not a sweep manifest; use another --out directory")
        return data

    def shard_files(self) -> list[Path]:
        """The shard files, in write order."""
        if not self.shards.is_dir():
            return []
        return sorted(p for p in self.shards.iterdir() if _SHARD.match(p.name))

    def read_shard(self, path: Path, columns: list[str] | None = None) -> pd.DataFrame:
        """One shard, or SweepError naming it and what to do if it is damaged."""
        try:
            return pd.read_parquet(path, columns=columns)
        except OSError as err:
            if isinstance(err.errno, int) and err.errno in (errno.EACCES, errno.EPERM, errno.EIO):
                raise SweepError(f"{path}: cannot read ({err.strerror})") from None
            raise self._damaged(path, err) from None
        except Exception as err:  # pyarrow raises its own errors for damaged files
            raise self._damaged(path, err) from None

    @staticmethod
    def _damaged(path: Path, err: Exception) -> SweepError:
        return SweepError(f"{path}: damaged shard ({type(err).__name__}); move it out of shards/ (e.g. "
                          f"mv {path} {path.parent.parent / (path.name + '.damaged')}) and run the same "
                          "sweep command again: its runs are run again, nothing else is lost")

    def recorded(self) -> pd.DataFrame:
        """point, replicate, seed, status and error of every recorded run (finished or failed),
        each run once (see :func:`load_results`)."""
        cols = ["point", "replicate", "seed", "status", "error"]
        frames = [self.read_shard(f, cols) for f in self.shard_files()]
        if not frames:
            return pd.DataFrame(columns=cols)
        return _unique_runs(pd.concat(frames, ignore_index=True), self.root, check_values=False)

    def design(self) -> pd.DataFrame:
        """The design table."""
        path = self.root / "design.parquet"
        if not path.is_file():
            raise SweepError(f"{self.root}: the sweep's start-up was interrupted (no design.parquet); run the "
                             "same `runoff sweep` command again to resume it")
        try:
            return pd.read_parquet(path)
        except Exception as err:
            raise SweepError(f"{path}: damaged ({type(err).__name__}); delete it and run the same sweep command "
                             "again (it is rebuilt from the spec; no results are lost)") from None

    # ------------------------------------------------------------------ writing
    def check_writable(self, spec_hash: str) -> None:
        """Refuse a directory that holds another spec's sweep or unrelated files.

        A directory without a manifest is accepted when it holds only what an interrupted
        start-up leaves (hidden files, ``design.parquet``, an empty ``shards/``).
        """
        if self.root.exists() and not self.root.is_dir():
            raise SweepError(f"{self.root}: exists and is not a directory; give a directory as --out")
        if self.exists():
            theirs = self.manifest().get("spec_hash")
            if theirs != spec_hash:
                raise SweepError(f"{self.root}: holds a sweep of another spec (hash {theirs}, this spec "
                                 f"{spec_hash}); nothing was changed. Use a new --out directory, or the "
                                 "same spec to resume")
            return
        if not self.root.exists():
            return
        try:
            entries = list(self.root.iterdir())
        except OSError as err:
            raise SweepError(f"{self.root}: cannot read ({err.strerror})") from None
        for p in entries:
            if p.name.startswith("."):
                continue
            if p.name == "design.parquet" and p.is_file():
                continue
            if p.name == "shards" and p.is_dir() and all(q.name.startswith(".") for q in p.iterdir()):
                continue
            raise SweepError(f"{self.root}: exists and is not a sweep directory (no manifest.json, and it "
                             f"holds {p.name}); nothing was changed. Use a new or empty --out directory")

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the directory's writer lock (creating the directory); SweepError naming the
        holder (host, pid, start time) if another sweep holds it."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise write_failed(self.lock_path if self.root.is_dir() else self.root, err) from None
        try:
            try:
                import fcntl
            except ImportError:  # pragma: no cover - not POSIX: no lock
                fcntl = None  # type: ignore[assignment]
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    raise SweepError(f"{self.root}: another sweep is writing here ({_holder(fd)}); two writers "
                                     "would duplicate runs. Wait for it to finish (or stop it), then run again "
                                     "to resume") from None
            info = json.dumps({"host": socket.gethostname(), "pid": os.getpid(),
                               "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
            with contextlib.suppress(OSError):  # the holder's name is a courtesy; the lock is the flock
                os.ftruncate(fd, 0)
                os.pwrite(fd, info.encode() + b"\n", 0)
            yield
        finally:
            os.close(fd)  # releases the flock

    def create(self, manifest: dict[str, Any], design: pd.DataFrame) -> None:
        """Write the manifest (first), the design and ``shards/`` if missing; remove temporary
        files of a killed writer. Call while holding :meth:`lock`."""
        for stale in list(self.root.glob(".*.tmp-*")) + list(self.shards.glob(".*.tmp-*")):
            with contextlib.suppress(OSError):
                stale.unlink()  # half-written files of a killed run: never renamed into place
        fresh = not self.exists()
        if fresh:  # the manifest first: from now on the directory is recognisably this sweep's
            self.write_manifest(manifest)
        design_path = self.root / "design.parquet"
        if fresh or not design_path.is_file():  # (a design left without a manifest may be anyone's)
            _atomic_write(design_path, lambda p: design.to_parquet(p, index=False))
        try:
            self.shards.mkdir(exist_ok=True)
        except OSError as err:
            raise write_failed(self.shards, err) from None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Write ``manifest.json`` atomically, stamped with the time of writing."""
        manifest = {**manifest, "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        text = json.dumps(manifest, indent=1, default=str) + "\n"
        _atomic_write(self.manifest_path, lambda p: p.write_text(text, encoding="utf-8"))

    def write_shard(self, rows: list[dict[str, Any]]) -> Path:
        """Write ``rows`` as the next numbered Parquet shard (atomically); return its path."""
        existing = self.shard_files()
        n = int(existing[-1].name.split(".")[0]) + 1 if existing else 0
        path = self.shards / f"{n:06d}.parquet"
        df = pd.DataFrame(rows)
        _atomic_write(path, lambda p: df.to_parquet(p, index=False))
        return path


def _holder(fd: int) -> str:
    """The lock holder as recorded in the lock file: ``host H, pid P, since T``."""
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
        return f"host {info.get('host', '?')}, pid {info.get('pid', '?')}, since {info.get('since', '?')}"
    except (OSError, ValueError):
        return "holder unknown"


def _unique_runs(df: pd.DataFrame, root: Path, check_values: bool = True) -> pd.DataFrame:
    """``df`` with each run (point, replicate) once; SweepError if a run is recorded twice with
    different seeds, statuses or (``check_values``) outcomes."""
    key = ["point", "replicate"]
    dup = df.duplicated(key, keep=False)
    if not dup.any():
        return df
    cols = [c for c in df.columns if check_values or c in ("point", "replicate", "seed", "status")]
    dups = df.loc[dup, cols]
    distinct = dups.astype(str).drop_duplicates()
    if distinct.duplicated(key, keep=False).any():
        bad = distinct[distinct.duplicated(key, keep=False)].iloc[0]
        raise SweepError(f"{root}: inconsistent sweep directory: run (point {bad['point']}, replicate "
                         f"{bad['replicate']}) is recorded twice with different results (two writers?); "
                         "nothing can be counted from it. Rerun the sweep into a new --out directory")
    return df.drop_duplicates(key, keep="first").reset_index(drop=True)


def load_results(root: str | Path, *, ok_only: bool = False) -> pd.DataFrame:
    """All rows of a sweep directory as one DataFrame, sorted by (point, replicate), each run
    once.

    Args:
        root: the sweep's ``--out`` directory.
        ok_only: drop failed runs.

    Raises:
        SweepError: not a sweep directory, a damaged shard, a run recorded two different ways,
            or a row outside the manifest's design.
    """
    store = Store(root)
    if not store.exists():
        raise SweepError(f"{root}: not a sweep directory (no manifest.json)")
    files = store.shard_files()
    if not files:
        return pd.DataFrame(columns=["point", "replicate", "seed", "status", "error"])
    df = pd.concat([store.read_shard(f) for f in files], ignore_index=True)
    df = _unique_runs(df, store.root)
    design = store.manifest().get("design", {})
    points, reps = design.get("points"), design.get("replicates")
    if isinstance(points, int) and isinstance(reps, int):
        outside = (df["point"] < 0) | (df["point"] >= points) | (df["replicate"] < 0) | (df["replicate"] >= reps)
        if outside.any():
            r = df[outside].iloc[0]
            raise SweepError(f"{root}: inconsistent sweep directory: a row for point {r['point']}, replicate "
                             f"{r['replicate']} is outside the design ({points} points x {reps} replicates)")
    df = df.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)
    if ok_only:
        df = df[df["status"] == "ok"].reset_index(drop=True)
    return df
