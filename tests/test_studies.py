"""Parameter studies: specs, executors (serial, processes, a real Dask cluster), resume after
SIGKILL, failures, common random numbers, analysis and SALib indices with a known answer."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from runoff_abm.studies import SpecError, load_results, parse_spec, run_sweep
from runoff_abm.studies.analysis import sensitivity, summarise
from runoff_abm.studies.sweep import SweepError, plan_tasks

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"}

SMALL = {
    "name": "small", "scenario": "labor-2011", "members": 1200, "replicates": 3, "seed": 99,
    "design": {"kind": "factorial"},
    "parameters": {"contractor_compliance": [0.6, 0.9], "influence_rate": [0.2, 0.4]},
    "factors": {"herzog": {"remove": ["Herzog"], "levels": {
        "neutral": [{"kind": "neutral", "day": 5, "by": "Herzog"}],
        "peretz": [{"kind": "endorse", "day": 5, "by": "Herzog", "for": "Peretz"}]}}},
}


def small(trust_code=False, **changes):
    return parse_spec({**SMALL, **changes}, source=str(ROOT / "tests" / "small.toml"), trust_code=trust_code)


def rows(out) -> pd.DataFrame:
    return load_results(out).drop(columns=[], errors="ignore")


def write_spec(tmp_path, text: str) -> Path:
    p = tmp_path / "spec.toml"
    p.write_text(text)
    return p


SPEC_TOML = """
name = "small"
scenario = "labor-2011"
members = 1200
replicates = 3
seed = 99
[design]
kind = "factorial"
[parameters]
contractor_compliance = [0.6, 0.9]
influence_rate = [0.2, 0.4]
"""


# ---------------------------------------------------------------- design and seeds
def test_factorial_design_crosses_parameters_and_factor_levels():
    spec = small()
    pts = spec.design()
    assert len(pts) == 2 * 2 * 2
    assert {(p.params["contractor_compliance"], p.params["influence_rate"], p.levels["herzog"]) for p in pts} == {
        (c, i, h) for c in (0.6, 0.9) for i in (0.2, 0.4) for h in ("neutral", "peretz")}


def test_common_random_numbers_replicate_seeds_shared_across_points():
    tasks = plan_tasks(small())
    by_rep = {}
    for t in tasks:
        by_rep.setdefault(t.replicate, set()).add(t.seed)
    assert all(len(s) == 1 for s in by_rep.values())
    assert len({next(iter(s)) for s in by_rep.values()}) == 3


def test_factor_levels_replace_the_base_events():
    spec = small()
    pts = {p.levels["herzog"]: p for p in spec.design()}
    evs = spec.scenario_for(pts["peretz"]).events
    herzog = [e for e in evs if getattr(e, "by", None) == "Herzog" or getattr(e, "source", None) == "Herzog"]
    assert [e.kind for e in herzog] == ["endorse"]


# ---------------------------------------------------------------- executors agree
@pytest.fixture(scope="module")
def serial_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "out"
    s = run_sweep(small(), str(out), executor="serial", progress=False)
    assert s.total == 24 and s.failed == 0
    return out


def test_processes_give_the_same_rows_as_serial(serial_out, tmp_path):
    run_sweep(small(), str(tmp_path / "p"), executor="processes", workers=2, chunk=2, progress=False)
    pd.testing.assert_frame_equal(rows(serial_out), rows(tmp_path / "p"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path):
    """A real Dask scheduler and two worker processes on 127.0.0.1, stopped afterwards."""
    bindir = Path(sys.executable).parent
    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([str(bindir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], env=ENV, cwd=tmp_path, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)]
    for _ in range(2):
        procs.append(subprocess.Popen([str(bindir / "dask"), "worker", addr, "--nworkers", "1", "--nthreads", "1",
                                       "--no-dashboard", "--host", "127.0.0.1"], env=ENV, cwd=tmp_path,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
    from dask.distributed import Client

    deadline = time.time() + 60
    while True:
        try:
            with Client(addr, timeout="2s") as c:
                if len(c.scheduler_info()["workers"]) == 2:
                    break
        except OSError:
            pass
        if time.time() > deadline:
            raise RuntimeError("dask cluster did not start")
        time.sleep(0.5)
    yield addr
    for p in procs:
        os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def test_dask_cluster_gives_the_same_rows_as_serial(serial_out, tmp_path, dask_cluster):
    run_sweep(small(), str(tmp_path / "d"), executor="dask", scheduler=dask_cluster, chunk=3, progress=False)
    pd.testing.assert_frame_equal(rows(serial_out), rows(tmp_path / "d"))


def test_rows_carry_point_replicate_seed_and_values(serial_out):
    df = rows(serial_out)
    for col in ("point", "replicate", "seed", "contractor_compliance", "influence_rate", "factor.herzog",
                "share_a", "turnout", "a_wins", "status"):
        assert col in df.columns
    assert len(df) == 24 and df[["point", "replicate"]].drop_duplicates().shape[0] == 24
    assert (df["status"] == "ok").all()


# ---------------------------------------------------------------- resume
def test_resume_skips_finished_runs(serial_out, tmp_path):
    out = tmp_path / "r"
    spec = small()
    run_sweep(spec, str(out), executor="serial", progress=False)
    before = sorted(p.name for p in (out / "shards").iterdir())
    s = run_sweep(spec, str(out), executor="serial", progress=False)
    assert s.skipped == 24 and s.ran == 0
    assert sorted(p.name for p in (out / "shards").iterdir()) == before


def test_sigkill_halfway_then_resume_has_every_run_exactly_once(serial_out, tmp_path):
    spec_path = write_spec(tmp_path, SPEC_TOML.replace("replicates = 3", "replicates = 10"))
    out = tmp_path / "k"
    cmd = [sys.executable, "-m", "runoff_abm", "sweep", str(spec_path), "--out", str(out), "--workers", "2",
           "--chunk", "1", "--quiet"]
    proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 120
    while len(list((out / "shards").glob("*.parquet"))) < 15 if (out / "shards").exists() else True:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.time() < deadline
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = load_results(out)
    assert 15 <= len(partial) < 40
    done = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    df = load_results(out)
    assert len(df) == 40
    assert df[["point", "replicate"]].drop_duplicates().shape[0] == 40   # none lost, none duplicated
    clean = tmp_path / "clean"
    run_sweep(parse_spec(__import__("tomllib").loads(spec_path.read_text()), str(spec_path)), str(clean),
              executor="serial", progress=False)
    pd.testing.assert_frame_equal(df, load_results(clean))


# ---------------------------------------------------------------- failures and bad input
def test_a_failing_run_is_recorded_and_the_rest_complete(tmp_path):
    spec = small(run_function="sweep_helpers:flaky_run", factors={}, trust_code=True)
    s = run_sweep(spec, str(tmp_path / "f"), executor="processes", workers=2, progress=False)
    df = load_results(tmp_path / "f")
    bad = df[df["status"] == "failed"]
    expected = df[(df["influence_rate"] == 0.2) & (df["seed"] % 2 == 1)]
    assert len(bad) == len(expected) > 0 and s.failed == len(bad)
    assert bad["error"].str.contains("deliberate failure").all()
    assert (df.drop(bad.index)["status"] == "ok").all() and len(df) == 12
    import json

    manifest = json.loads((tmp_path / "f" / "manifest.json").read_text())
    assert manifest["runs"] == {"ok": 12 - len(bad), "failed": len(bad), "pending": 0}
    assert {(f["point"], f["replicate"]) for f in manifest["failed"]} == set(zip(bad["point"], bad["replicate"], strict=True))


def test_another_spec_on_an_existing_directory_is_refused_and_nothing_damaged(serial_out):
    before = {p: p.stat().st_mtime_ns for p in serial_out.rglob("*")}
    with pytest.raises(SweepError, match="another spec"):
        run_sweep(small(seed=100), str(serial_out), executor="serial", progress=False)
    assert {p: p.stat().st_mtime_ns for p in serial_out.rglob("*")} == before


@pytest.mark.parametrize("change,field,allowed", [
    ({"parameters": {"no_such_param": [1]}}, "parameters.no_such_param", "unknown parameter"),
    ({"parameters": {"influence_rate": [0.2, 1.5]}}, "parameters.influence_rate[1]", "allowed [0.0, 1.0]"),
    ({"parameters": {"influence_rate": []}}, "parameters.influence_rate", "empty"),
    ({"parameters": {}, "factors": {}}, "parameters", "empty design"),
    ({"parameters": {"influence_rate": {"low": 0.1, "high": 0.5}}}, "parameters.influence_rate", "list of values"),
    ({"design": {"kind": "lhs", "samples": 4}, "parameters": {"influence_rate": {"low": 0.1, "high": 1.5}}},
     "parameters.influence_rate.high", "allowed [0.0, 1.0]"),
    ({"design": {"kind": "lhs", "samples": 4}, "parameters": {"influence_rate": {"low": 0.5, "high": 0.1}}},
     "parameters.influence_rate.high", "greater than low"),
    ({"design": {"kind": "morris", "samples": 4}, "parameters": {"influence_rate": {"low": 0.1, "high": 0.5}}},
     "factors", "cannot cross event factors"),
    ({"design": {"kind": "sobol", "samples": 6}, "factors": {}, "parameters": {"influence_rate": {"low": 0.1, "high": 0.5}}},
     "design.samples", "power of 2"),
    ({"design": {"kind": "bogus"}}, "design.kind", "allowed: factorial, lhs, morris, sobol"),
    ({"replicates": 0}, "replicates", "allowed"),
    ({"factors": {"h": {"levels": {"x": [{"kind": "endorse", "day": 5, "by": "Nobody", "for": "Peretz"}]}}}},
     "factors.h.levels.x[0].by", "allowed"),
    ({"scenario": "no-such-scenario"}, "scenario", "built-ins"),
])
def test_bad_specs_name_the_field_and_what_is_allowed(change, field, allowed):
    with pytest.raises(SpecError) as err:
        small(**change)
    assert err.value.field == field
    assert allowed in str(err.value)
    assert "small.toml" in str(err.value)


def test_cli_bad_spec_and_unreachable_scheduler_exit_2_quickly(tmp_path):
    bad = write_spec(tmp_path, SPEC_TOML.replace("influence_rate = [0.2, 0.4]", "influence_rate = [0.2, 4]"))
    p = subprocess.run([sys.executable, "-m", "runoff_abm", "sweep", str(bad), "--out", str(tmp_path / "o")],
                       env=ENV, capture_output=True, text=True)
    assert p.returncode == 2 and "parameters.influence_rate[1]" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "o").exists()
    good = write_spec(tmp_path, SPEC_TOML)
    t = time.time()
    p = subprocess.run([sys.executable, "-m", "runoff_abm", "sweep", str(good), "--out", str(tmp_path / "o2"),
                        "--scheduler", f"tcp://127.0.0.1:{_free_port()}"], env=ENV, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 2, p.stderr
    assert "cannot reach a Dask scheduler" in p.stderr and "Traceback" not in p.stderr
    assert time.time() - t < 30


# ---------------------------------------------------------------- analysis
def test_analyze_cli_prints_means_cis_win_probabilities_and_writes_plots(serial_out):
    p = subprocess.run([sys.executable, "-m", "runoff_abm", "analyze", str(serial_out)], env=ENV,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "P(Yachimovich wins)" in p.stdout and "share_a (95% CI)" in p.stdout
    assert sorted(x.name for x in (serial_out / "plots").glob("*.png"))
    summary = summarise(serial_out)
    df = load_results(serial_out)
    first = df[df["point"] == 0]
    assert summary.loc[0, "share_a_mean"] == pytest.approx(first["share_a"].mean())
    assert summary.loc[0, "p_a_wins"] == pytest.approx(first["a_wins"].mean())
    assert (summary["share_a_lo"] <= summary["share_a_mean"]).all()


def test_morris_indices_known_answer(tmp_path):
    """kingmaker_value does nothing in labor-2011 (both declarations are scripted): mu* = 0 exactly
    under CRN; contractor_compliance does something."""
    spec = parse_spec({"name": "m", "scenario": "labor-2011", "members": 1000, "replicates": 2, "seed": 5,
                       "design": {"kind": "morris", "samples": 4, "levels": 4},
                       "parameters": {"kingmaker_value": {"low": 0.0, "high": 1.0},
                                      "contractor_compliance": {"low": 0.3, "high": 1.0}},
                       "outcomes": ["share_a"]}, source=str(tmp_path / "m.toml"))
    run_sweep(spec, str(tmp_path / "m"), executor="serial", progress=False)
    t = sensitivity(tmp_path / "m").set_index("parameter")
    assert t.loc["kingmaker_value", "mu_star"] == pytest.approx(0.0, abs=1e-12)
    assert t.loc["contractor_compliance", "mu_star"] > 0.001   # visible blocs comply anyway (monitoring)


def test_sobol_indices_known_answer(tmp_path):
    spec = parse_spec({"name": "s", "scenario": "labor-2011", "members": 800, "replicates": 1, "seed": 5,
                       "design": {"kind": "sobol", "samples": 16},
                       "parameters": {"kingmaker_value": {"low": 0.0, "high": 1.0},
                                      "contractor_compliance": {"low": 0.3, "high": 1.0}},
                       "outcomes": ["share_a"]}, source=str(tmp_path / "s.toml"))
    run_sweep(spec, str(tmp_path / "s"), executor="serial", progress=False)
    t = sensitivity(tmp_path / "s").set_index("parameter")
    assert abs(t.loc["kingmaker_value", "ST"]) < 1e-9 and abs(t.loc["kingmaker_value", "S1"]) < 1e-9
    assert t.loc["contractor_compliance", "ST"] > 0.5


def test_sensitivity_refuses_a_factorial_sweep(serial_out):
    with pytest.raises(SweepError, match="morris or sobol"):
        sensitivity(serial_out)


def test_shipped_morris_spec_screens_every_behavioural_parameter_but_transfer_lean():
    """The spec and docs/studies.md say "every behavioural parameter": hold them to it. ``transfer_lean``
    (default -1: the scenario's own leanings) has no default +-50% range to screen."""
    import dataclasses

    from runoff_abm.model.params import Params
    from runoff_abm.studies.spec import load_spec

    root = Path(__file__).resolve().parent.parent
    spec = load_spec(root / "scenarios" / "sweeps" / "morris-behaviour.toml")
    every = {f.name for f in dataclasses.fields(Params)}
    assert set(spec.ranges) == every - {"transfer_lean"}
    doc = (root / "docs" / "studies.md").read_text(encoding="utf-8")
    assert f"a Morris screen of {len(spec.ranges)} of the {len(every)} behavioural parameters" in doc
