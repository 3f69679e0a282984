"""A sweep's output directory: manifest, design, and Parquet shards written as chunks finish.

Layout of ``DIR``::

    manifest.json      spec (as written), its hash, master seed, package versions, git commit,
                       design size, run counts and every failed run with its error
    design.parquet     one row per design point: point id, parameter values, factor levels
    shards/NNNNNN.parquet   rows of finished runs, one file per finished chunk

Every file is written to a temporary name and renamed into place (atomic on POSIX), and only
the main process writes. A sweep killed at any moment (SIGKILL included) leaves whole shards
only; the runs in them are the finished runs, and a resumed sweep runs the rest exactly once.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["Store", "load_results", "versions", "git_commit"]

FORMAT = 1


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
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, timeout=5).stdout.strip()
    return proc.stdout.strip() + ("-dirty" if dirty else "")


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    write(tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class Store:
    """The output directory of one sweep."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.shards = self.root / "shards"
        self.manifest_path = self.root / "manifest.json"

    # ------------------------------------------------------------------ reading
    def exists(self) -> bool:
        return self.manifest_path.exists()

    def manifest(self) -> dict[str, Any]:
        return json.loads(self.manifest_path.read_text())

    def shard_files(self) -> list[Path]:
        return sorted(self.shards.glob("[0-9]*.parquet")) if self.shards.exists() else []

    def recorded(self) -> pd.DataFrame:
        """point, replicate, seed, status and error of every recorded run (finished or failed)."""
        cols = ["point", "replicate", "seed", "status", "error"]
        frames = [pd.read_parquet(f, columns=cols) for f in self.shard_files()]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)

    def done(self) -> set[tuple[int, int]]:
        """(point, replicate) of every recorded run."""
        rec = self.recorded()
        return set(zip(rec["point"].tolist(), rec["replicate"].tolist(), strict=True))

    def design(self) -> pd.DataFrame:
        return pd.read_parquet(self.root / "design.parquet")

    # ------------------------------------------------------------------ writing
    def check_writable(self, spec_hash: str) -> None:
        """Refuse a directory that holds another spec's sweep or unrelated files."""
        from runoff_abm.studies.sweep import SweepError

        if self.exists():
            theirs = self.manifest().get("spec_hash")
            if theirs != spec_hash:
                raise SweepError(f"{self.root}: holds a sweep of another spec (hash {theirs}, this spec "
                                 f"{spec_hash}); nothing was changed. Use a new --out directory, or the "
                                 "same spec to resume")
        elif self.root.exists() and any(p for p in self.root.iterdir() if not p.name.startswith(".")):
            raise SweepError(f"{self.root}: exists and is not a sweep directory (no manifest.json); "
                             "nothing was changed. Use a new or empty --out directory")

    def create(self, manifest: dict[str, Any], design: pd.DataFrame) -> None:
        self.shards.mkdir(parents=True, exist_ok=True)
        for stale in list(self.root.glob(".*.tmp-*")) + list(self.shards.glob(".*.tmp-*")):
            stale.unlink()  # half-written files of a killed run: never renamed into place
        if not (self.root / "design.parquet").exists():
            _atomic_write(self.root / "design.parquet", lambda p: design.to_parquet(p, index=False))
        if not self.exists():
            self.write_manifest(manifest)

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        manifest = {**manifest, "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        _atomic_write(self.manifest_path, lambda p: p.write_text(json.dumps(manifest, indent=1, default=str) + "\n"))

    def write_shard(self, rows: list[dict[str, Any]]) -> Path:
        existing = self.shard_files()
        n = int(existing[-1].stem) + 1 if existing else 0
        path = self.shards / f"{n:06d}.parquet"
        df = pd.DataFrame(rows)
        _atomic_write(path, lambda p: df.to_parquet(p, index=False))
        return path


def load_results(root: str | Path, *, ok_only: bool = False) -> pd.DataFrame:
    """All rows of a sweep directory as one DataFrame, sorted by (point, replicate).

    Args:
        root: the sweep's ``--out`` directory.
        ok_only: drop failed runs.
    """
    store = Store(root)
    if not store.exists():
        from runoff_abm.studies.sweep import SweepError

        raise SweepError(f"{root}: not a sweep directory (no manifest.json)")
    files = store.shard_files()
    if not files:
        return pd.DataFrame(columns=["point", "replicate", "seed", "status", "error"])
    df = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    df = df.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)
    if ok_only:
        df = df[df["status"] == "ok"].reset_index(drop=True)
    return df
