"""The speed-ups change no result: a sweep that reuses populations and graphs (and one that
advances design points together as columns) gives the rows of uncached single runs, on every
executor; the graph build keeps its frozen hashes (tests/test_graph_build.py); the kernels agree
to the bit with the per-agent reference (tests/test_determinism.py and below)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from runoff_abm.model.params import PARAM_SPECS
from runoff_abm.model.runoff import SHAPING, Prototypes, RunoffModel
from runoff_abm.studies import load_results, parse_spec, run_sweep
from runoff_abm.studies.outcomes import flatten, run_chunk
from runoff_abm.studies.sweep import grouped_chunks, plan_tasks

SPEC = {
    "name": "speed", "scenario": "labor-2011", "members": 2000, "replicates": 3, "seed": 5,
    "design": {"kind": "factorial"},
    "parameters": {"influence_rate": [0.1, 0.4], "confidence_bound": [0.2, 1.0]},
}


def spec(**changes):
    return parse_spec({**SPEC, **changes}, source="<test>")


def _rows(out) -> pd.DataFrame:
    return load_results(out)


@pytest.fixture(scope="module")
def uncached(tmp_path_factory):
    """The reference: serial, every run builds its own population and graph."""
    out = tmp_path_factory.mktemp("uncached") / "out"
    run_sweep(spec(), str(out), executor="serial", progress=False, reuse=False)
    return _rows(out)


def test_shaping_parameters_are_declared_in_the_parameter_definition():
    assert set(SHAPING) == {s.name for s in PARAM_SPECS if s.shapes in ("population", "graph")}
    assert {"mean_degree", "habit_voter"} <= set(SHAPING)
    assert not {"influence_rate", "confidence_bound", "contractor_compliance"} & set(SHAPING)


def test_uncached_sweep_rows_are_single_runs(uncached):
    from runoff_abm.model.api import run

    row = uncached.iloc[5]
    res = flatten(run("labor-2011", seed=int(row["seed"]), members=2000, influence_rate=row["influence_rate"],
                      confidence_bound=row["confidence_bound"]))
    for k, v in res.items():
        assert row[k] == v or (pd.isna(row[k]) and pd.isna(v)), k


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_cached_sweep_gives_the_uncached_rows(uncached, tmp_path, executor):
    kw = {"workers": 2} if executor == "processes" else {}
    run_sweep(spec(), str(tmp_path / "c"), executor=executor, progress=False, **kw)
    pd.testing.assert_frame_equal(uncached, _rows(tmp_path / "c"))


@pytest.fixture(scope="module")
def dask_address():
    """One local Dask cluster (two worker processes) for this module's Dask sweeps."""
    pytest.importorskip("dask.distributed")
    from runoff_abm.studies.sweep import connect_dask

    client, cluster = connect_dask(None, 2)
    client.close()
    yield cluster.scheduler_address
    cluster.close()


@pytest.mark.parametrize("batch", [1, 4])
def test_cached_and_batched_sweeps_on_dask_give_the_uncached_rows(uncached, tmp_path, dask_address, batch):
    run_sweep(spec(), str(tmp_path / "d"), executor="dask", scheduler=dask_address, progress=False, batch=batch)
    pd.testing.assert_frame_equal(uncached, _rows(tmp_path / "d"))


def test_a_sweep_over_a_shaping_parameter_gives_single_run_rows(tmp_path):
    shaped = spec(parameters={"mean_degree": [6, 12], "influence_rate": [0.1, 0.4]}, replicates=2, members=1200)
    run_sweep(shaped, str(tmp_path / "u"), executor="serial", progress=False, reuse=False)
    run_sweep(shaped, str(tmp_path / "c"), executor="serial", progress=False, batch=4)
    pd.testing.assert_frame_equal(_rows(tmp_path / "u"), _rows(tmp_path / "c"))


def test_chunks_hold_whole_replicate_groups():
    tasks = plan_tasks(spec())
    chunks = grouped_chunks(spec(), tasks, 3)
    assert sorted((t.point, t.replicate) for c in chunks for t in c) == sorted((t.point, t.replicate) for t in tasks)
    assert all(len({t.seed for t in c}) == 1 and len(c) == 4 for c in chunks)  # a seed's 4 points together


def test_a_cache_builds_once_per_seed_and_shaping_values():
    cache = Prototypes()
    tasks = plan_tasks(spec())
    run_chunk(spec(), tasks[:0])
    from runoff_abm.studies import outcomes

    outcomes.PROTOTYPES.clear()
    before = outcomes.PROTOTYPES.misses
    run_chunk(spec(), grouped_chunks(spec(), tasks, 100)[0])
    assert outcomes.PROTOTYPES.misses - before == 3  # three replicate seeds, one shape
    m = RunoffModel(seed=1, members=500, prototypes=cache, habit_voter=0.9)
    RunoffModel(seed=1, members=500, prototypes=cache, habit_voter=0.8)  # shapes the population
    RunoffModel(seed=1, members=500, prototypes=cache, influence_rate=0.5)
    assert (cache.hits, cache.misses) == (0, 3)
    m2 = RunoffModel(seed=1, members=500, prototypes=cache, habit_voter=0.9, influence_rate=0.1)
    assert cache.hits == 1
    assert m2.edges is not m.edges or not m.edges.indices.flags.writeable
    assert np.array_equal(m2.state.propensity, m.population.propensity)
    assert m2.state.leaning is not m.state.leaning


@pytest.mark.parametrize("kernel", ["numpy", "numba"])
def test_batched_sweep_gives_the_uncached_rows(uncached, tmp_path, monkeypatch, kernel):
    if kernel == "numba":
        pytest.importorskip("numba")
    monkeypatch.setenv("RUNOFF_KERNEL", kernel)
    run_sweep(spec(), str(tmp_path / "b"), executor="serial", progress=False, batch=4)
    pd.testing.assert_frame_equal(uncached, _rows(tmp_path / "b"))


def test_batched_sweep_on_processes_gives_the_uncached_rows(uncached, tmp_path):
    run_sweep(spec(), str(tmp_path / "p"), executor="processes", workers=2, progress=False, batch=4)
    pd.testing.assert_frame_equal(uncached, _rows(tmp_path / "p"))


@pytest.mark.parametrize("eps", [0.05, 0.2, 0.35, 1.0])
def test_fused_and_column_kernels_match_the_numpy_kernel_to_the_bit(eps):
    from runoff_abm.model.influence import BoundedConfidence, fused_available

    m = RunoffModel(seed=4, members=2000)
    kernels = [BoundedConfidence.from_edges(m.edges, "numpy")]
    if fused_available():
        kernels.append(BoundedConfidence.from_edges(m.edges, "numba"))
    s = m.state.susceptibility
    for seed in range(3):
        g = np.random.default_rng(seed)
        x, p, fr = g.random(m.n), g.random(m.n), g.random(m.n) < 0.05
        ref = kernels[0].update(x, s, eps, 0.3, fr, p, 0.005, 0.05)
        # the numpy path is the two steps the engine has always taken
        assert np.array_equal(ref[0], kernels[0].step(x, s, eps, 0.3, frozen=fr))
        cols = (np.stack([x, p], 1), np.stack([fr, ~fr], 1), np.stack([p, x], 1))
        for k in kernels:
            got = k.update(x, s, eps, 0.3, fr, p, 0.005, 0.05)
            assert all(np.array_equal(a.view(np.int64), b.view(np.int64)) for a, b in zip(ref, got, strict=True))
            cx, cp = k.update_columns(cols[0], s, [eps, 1.0], [0.3, 0.2], cols[1], cols[2], [0.005, 0.0], [0.05, 0.2])
            one = kernels[0].update(p.copy(), s, 1.0, 0.2, ~fr, x.copy(), 0.0, 0.2)
            assert np.array_equal(cx[:, 0], ref[0]) and np.array_equal(cp[:, 0], ref[1])
            assert np.array_equal(cx[:, 1], one[0]) and np.array_equal(cp[:, 1], one[1])


def test_engines_agree_to_the_bit_with_either_kernel(monkeypatch):
    from runoff_abm.model.api import run

    ref = flatten(run("labor-2011", seed=8, members=1500, engine="agents"))
    for kernel in ("numpy", "numba"):
        if kernel == "numba":
            pytest.importorskip("numba")
        monkeypatch.setenv("RUNOFF_KERNEL", kernel)
        got = flatten(run("labor-2011", seed=8, members=1500))
        assert all(ref[k] == got[k] or (pd.isna(ref[k]) and pd.isna(got[k])) for k in ref)
