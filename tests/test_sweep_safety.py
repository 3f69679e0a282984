"""Sweep directories are safe (issue 11, ``docs/security.md``): one writer at a time (the second
refused with the holder named), SIGKILL at start-up, mid-run and during a shard write each
resumed to rows identical to a serial run, no process of a sweep left alive after its parent is
killed, disk full / read-only / damaged shards reported in one line naming the file and resumed
once the cause is fixed, and no run counted twice by ``runoff analyze``.

Disk-full and read-only tests mount a small tmpfs (root and CAP_SYS_ADMIN needed); where the
machine does not allow mounting they are skipped with the reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path

import pandas as pd
import pytest

from runoff_abm.studies import load_results, parse_spec, run_sweep
from runoff_abm.studies.store import Store
from runoff_abm.studies.sweep import SweepError

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}

SPEC = """\
name = "safety"
scenario = "labor-2011"
members = 300
replicates = 4
seed = 7
[parameters]
influence_rate = [0.1, 0.3]
contractor_compliance = [0.5, 0.9]
"""
RUNS = 16


def cli(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "runoff_abm", *args], cwd=cwd, env=ENV, capture_output=True,
                          timeout=timeout, check=False)


def one_clean_line(proc: subprocess.CompletedProcess, *expected: str) -> str:
    """Assert exit 2, nothing on stdout, one ``runoff: error:`` line containing ``expected``."""
    err = proc.stderr.decode()
    assert "Traceback" not in err, err
    assert proc.returncode == 2, err
    assert proc.stdout == b""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("runoff: error: "), err
    for text in expected:
        assert text in lines[0], (text, err)
    return lines[0]


def spec_file(tmp_path: Path, text: str = SPEC) -> Path:
    p = tmp_path / "spec.toml"
    p.write_text(text)
    return p


def sweep_args(spec: Path, out: Path, *extra: str) -> list[str]:
    return ["sweep", str(spec), "--out", str(out), "--quiet", *extra]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> pd.DataFrame:
    """The rows of a serial, uninterrupted run of SPEC."""
    d = tmp_path_factory.mktemp("ref")
    spec = parse_spec(tomllib.loads(SPEC), str(d / "spec.toml"))
    run_sweep(spec, str(d / "out"), executor="serial", progress=False)
    df = load_results(d / "out")
    assert len(df) == RUNS
    return df


def same_rows(out: Path, reference: pd.DataFrame) -> None:
    df = load_results(out)
    assert df[["point", "replicate"]].drop_duplicates().shape[0] == len(df) == RUNS
    pd.testing.assert_frame_equal(df, reference)


# ------------------------------------------------------------------------- one writer
def test_a_second_writer_is_refused_naming_the_holder_and_rows_stay_once(tmp_path, reference):
    spec = spec_file(tmp_path)
    out = tmp_path / "out"
    store = Store(out)
    with store.lock():  # this process is the first writer
        line = one_clean_line(cli(*sweep_args(spec, out, "--serial"), cwd=tmp_path),
                              "another sweep is writing here", f"pid {os.getpid()}", "host ")
        assert str(out) in line
        with pytest.raises(SweepError, match=f"pid {os.getpid()}"):
            run_sweep(parse_spec(tomllib.loads(SPEC), str(spec)), str(out), executor="serial", progress=False)
    assert not Store(out).exists()  # the refused writer wrote nothing
    proc = cli(*sweep_args(spec, out, "--serial"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    same_rows(out, reference)


def test_two_concurrent_cli_writers(tmp_path, reference):
    """Two sweeps started on one directory: exactly one writes; the other is refused (or, if it
    starts after the first finished, finds nothing left to do); every run is recorded once."""
    slow = SPEC.replace("members = 300", "members = 3000")
    spec = spec_file(tmp_path, slow)
    out = tmp_path / "out"
    first = subprocess.Popen([sys.executable, "-m", "runoff_abm", *sweep_args(spec, out, "--serial", "--chunk", "1")],
                             cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while not (out / "manifest.json").exists():
        assert first.poll() is None, first.stderr.read().decode()
        assert time.time() < deadline
        time.sleep(0.02)
    second = cli(*sweep_args(spec, out, "--serial"), cwd=tmp_path)
    first.wait(timeout=600)
    assert first.returncode == 0, first.stderr.read().decode()
    if second.returncode == 2:
        one_clean_line(second, "another sweep is writing here", f"pid {first.pid}")
    else:  # the first finished before the second started
        assert b"0 run now" in second.stdout
    df = load_results(out)
    assert len(df) == RUNS and df[["point", "replicate"]].drop_duplicates().shape[0] == RUNS


# ------------------------------------------------------------------------- killed at any moment
STARTUP_STATES = {
    "empty-directory": [],
    "design-only": ["design.parquet"],           # the case: killed right after the design appeared
    "design-and-empty-shards": ["design.parquet", "shards/"],
    "manifest-only": ["manifest.json"],
    "manifest-and-design": ["manifest.json", "design.parquet"],
    "half-written-temporaries": ["manifest.json", "design.parquet", "shards/", ".design.parquet.tmp-1",
                                 "shards/.000000.parquet.tmp-1"],
}


@pytest.mark.parametrize("state", list(STARTUP_STATES))
def test_a_start_up_killed_at_any_stage_resumes(tmp_path, reference, state):
    """Every state a start-up can be killed in (files copied from a finished sweep) resumes."""
    spec = spec_file(tmp_path)
    full = tmp_path / "full"
    assert cli(*sweep_args(spec, full, "--serial"), cwd=tmp_path).returncode == 0
    out = tmp_path / "out"
    out.mkdir()
    (out / ".lock").write_text("")
    for item in STARTUP_STATES[state]:
        if item.endswith("/"):
            (out / item).mkdir()
        elif ".tmp-" in item:
            (out / item).write_bytes(b"PAR1 half a file")
        else:
            shutil.copy(full / item, out / item)
    proc = cli(*sweep_args(spec, out, "--serial"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    same_rows(out, reference)
    assert not list(out.rglob(".*.tmp-*"))


def test_sigkill_right_after_the_design_appears_resumes(tmp_path, reference):
    spec = spec_file(tmp_path)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "runoff_abm", *sweep_args(spec, out, "--serial")], cwd=tmp_path,
                            env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while not (out / "design.parquet").exists():
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.time() < deadline
    proc.kill()
    proc.wait()
    done = cli(*sweep_args(spec, out, "--serial"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    same_rows(out, reference)


KILL_IN_SHARD_WRITE = """
import os, signal, sys
import runoff_abm.studies.store as store
orig, count = store._atomic_write, [0]
def write(path, fn):
    if path.parent.name == "shards":
        count[0] += 1
        if count[0] == 3:  # the third shard: written to its temporary name, then killed before the rename
            tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
            fn(tmp)
            os.kill(os.getpid(), signal.SIGKILL)
    return orig(path, fn)
store._atomic_write = write
from runoff_abm.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_sigkill_during_a_shard_write_resumes(tmp_path, reference):
    spec = spec_file(tmp_path)
    out = tmp_path / "out"
    killed = subprocess.run([sys.executable, "-c", KILL_IN_SHARD_WRITE,
                             *sweep_args(spec, out, "--serial", "--chunk", "2")], cwd=tmp_path, env=ENV,
                            capture_output=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    assert len(list((out / "shards").glob(".*.tmp-*"))) == 1  # the half-done write, never renamed
    assert len(load_results(out)) == 4  # two whole shards of two runs
    done = cli(*sweep_args(spec, out, "--serial"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    same_rows(out, reference)


def test_sigkill_mid_run_with_workers_resumes(tmp_path, reference):
    spec = spec_file(tmp_path)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "runoff_abm", *sweep_args(spec, out, "--workers", "2", "--chunk", "1")],
                            cwd=tmp_path, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.time() + 180
    while len(list((out / "shards").glob("[0-9]*.parquet"))) < 3 if (out / "shards").exists() else True:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.time() < deadline
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = cli(*sweep_args(spec, out, "--workers", "2"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    same_rows(out, reference)


# ------------------------------------------------------------------------- no orphans
def _descendants(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (d / "stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(d.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped counts as dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the sweep's processes")
def test_no_process_of_a_sweep_outlives_its_parent(tmp_path):
    spec = spec_file(tmp_path, SPEC.replace("members = 300", "members = 3000").replace("replicates = 4",
                                                                                      "replicates = 20"))
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "runoff_abm", *sweep_args(spec, out, "--workers", "2", "--chunk", "1")],
                            cwd=tmp_path, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 180
    while not list((out / "shards").glob("[0-9]*.parquet")) if (out / "shards").exists() else True:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.time() < deadline
        time.sleep(0.05)
    family = _descendants(proc.pid)
    assert len(family) >= 3, family  # two workers and the resource tracker
    proc.send_signal(signal.SIGKILL)  # the parent only, as the OOM killer or `kill -9 PID` would
    proc.wait()
    t0 = time.time()
    while any(_alive(p) for p in family) and time.time() - t0 < 60:
        time.sleep(0.05)
    left = [p for p in family if _alive(p)]
    for p in left:  # do not leave them behind if the test fails
        with contextlib.suppress(OSError):
            os.kill(p, signal.SIGKILL)
    print(f"\n{len(family)} child processes gone {time.time() - t0:.2f} s after SIGKILL of the sweep")
    assert not left, f"orphans left: {left}"


# ------------------------------------------------------------------------- disk full, read-only
@pytest.fixture
def tmpfs(tmp_path):
    """A tmpfs of 160 kB mounted at a fresh directory (skips where mounting is not allowed)."""
    mnt = tmp_path / f"mnt-{uuid.uuid4().hex[:8]}"
    mnt.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command on this machine")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(mnt)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): {proc.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _remount(mnt: Path, options: str) -> None:
    proc = subprocess.run(["mount", "-o", f"remount,{options}", str(mnt)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot remount the tmpfs ({options}): {proc.stderr.strip()}")


def test_disk_full_is_one_line_naming_the_file_then_resumes(tmp_path, tmpfs, reference):
    spec = spec_file(tmp_path)
    out = tmpfs / "out"
    full = cli(*sweep_args(spec, out, "--serial", "--chunk", "1"), cwd=tmp_path)
    line = one_clean_line(full, str(out), "the disk is full", "run the same command again")
    kept = load_results(out)
    assert 0 < len(kept) < RUNS, line
    assert not list(out.rglob(".*.tmp-*"))  # the failed write left nothing half-written
    _remount(tmpfs, "size=20m")
    done = cli(*sweep_args(spec, out, "--serial"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    same_rows(out, reference)


def test_read_only_out_is_one_line_then_resumes(tmp_path, tmpfs, reference):
    spec = spec_file(tmp_path)
    _remount(tmpfs, "size=20m")
    out = tmpfs / "out"
    # a fresh --out on a read-only file system
    _remount(tmpfs, "ro")
    one_clean_line(cli(*sweep_args(spec, out, "--serial"), cwd=tmp_path), str(out), "read-only")
    _remount(tmpfs, "rw")
    # a partly done sweep whose directory became read-only
    proc = subprocess.Popen([sys.executable, "-m", "runoff_abm", *sweep_args(spec, out, "--serial", "--chunk", "1")],
                            cwd=tmp_path, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while len(list((out / "shards").glob("[0-9]*.parquet"))) < 2 if (out / "shards").exists() else True:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.time() < deadline
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    _remount(tmpfs, "ro")
    one_clean_line(cli(*sweep_args(spec, out, "--serial"), cwd=tmp_path), str(out), "read-only")
    _remount(tmpfs, "rw")
    done = cli(*sweep_args(spec, out, "--serial"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    same_rows(out, reference)


# ------------------------------------------------------------------------- damaged shards, duplicates
def test_a_damaged_shard_is_named_with_what_to_do_then_resumes(tmp_path, reference):
    spec = spec_file(tmp_path)
    out = tmp_path / "out"
    assert cli(*sweep_args(spec, out, "--serial", "--chunk", "4"), cwd=tmp_path).returncode == 0
    bad = out / "shards" / "000001.parquet"
    bad.write_bytes(bad.read_bytes()[:500])
    for args in (["analyze", str(out), "--no-plots"], sweep_args(spec, out, "--serial")):
        line = one_clean_line(cli(*args, cwd=tmp_path), str(bad), "damaged shard", "move it out of shards/")
        assert "run the same sweep command again" in line
    bad.rename(out / "000001.parquet.damaged")  # what the message says to do
    done = cli(*sweep_args(spec, out, "--serial"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    assert b"4 run now" in done.stdout
    same_rows(out, reference)


def test_analyze_never_counts_a_run_twice(tmp_path, reference):
    spec = spec_file(tmp_path)
    out = tmp_path / "out"
    assert cli(*sweep_args(spec, out, "--serial", "--chunk", "4"), cwd=tmp_path).returncode == 0
    summary = cli("analyze", str(out), "--no-plots", cwd=tmp_path)
    assert summary.returncode == 0, summary.stderr.decode()
    shutil.copy(out / "shards" / "000000.parquet", out / "shards" / "000009.parquet")  # a duplicate shard
    same_rows(out, reference)
    again = cli("analyze", str(out), "--no-plots", cwd=tmp_path)
    assert again.returncode == 0 and again.stdout == summary.stdout
    df = pd.read_parquet(out / "shards" / "000009.parquet")
    df.loc[0, "share_a"] = 0.123456  # the same run recorded with another result
    df.to_parquet(out / "shards" / "000009.parquet", index=False)
    one_clean_line(cli("analyze", str(out), "--no-plots", cwd=tmp_path), "inconsistent sweep directory",
                   "recorded twice")
    with pytest.raises(SweepError, match="recorded twice"):
        load_results(out)
