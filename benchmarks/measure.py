"""Measure one size in this process and print one JSON object (called by ``benchmarks``).

    python -m benchmarks.measure --members 66310 [--reference] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np


def _best(fn, repeats: int) -> float:
    """Best of ``repeats`` wall-clock timings of ``fn()`` (seconds): the least-disturbed one."""
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def measure(members: int, reference: bool, repeats: int, scenario: str = "labor-2011") -> dict:
    import scipy.sparse as sp

    from runoff_abm.model.runoff import RunoffModel
    from runoff_abm.model.scenario import load_scenario

    out: dict = {"members": members, "scenario": scenario}

    # whole runoff, end to end: scenario load, population, graph, agents, the days, the election,
    # the result; each phase timed inside the same runs (RunoffModel.phase_times)
    runs = []

    def whole():
        t = time.perf_counter()
        scn = load_scenario(scenario)
        load = time.perf_counter() - t
        m = RunoffModel(scenario=scn, seed=1, members=members)
        m.run()
        m.release()
        runs.append({"load": load, **m.phase_times})

    out["full_runoff_s"] = _best(whole, repeats)
    phases = {k: float(np.median([r[k] for r in runs])) for k in runs[0]}
    out["phases_s"] = phases
    day_keys = [k for k in phases if k.startswith("day.")]
    out["load_s"] = phases["load"]
    out["population_s"] = phases["population"]
    out["graph_s"] = phases["graph"]
    out["build_s"] = sum(phases[k] for k in ("setup", "population", "graph", "agents", "engine"))
    out["day_s"] = float(np.median([phases[k] for k in day_keys]))
    out["days"] = len(day_keys)
    out["election_s"] = phases["election"]
    out["result_s"] = phases["result"]

    scn = load_scenario(scenario)
    model = RunoffModel(scenario=scn, seed=1, members=members)
    out["edges"] = int(len(model.edges.u))
    while model.day < model.election_day - 1:
        model.step()

    # the physical floor: one CSR mat-vec over the same graph
    e = model.edges
    a = sp.csr_matrix((np.ones(len(e.indices)), e.indices, e.indptr), shape=(e.n, e.n))
    x = model.state.leaning.copy()
    out["matvec_s"] = _best(lambda: a @ x, max(repeats, 20))
    # the array engine's daily member update alone (influence + turnout drift), same graph: the
    # numpy path (two steps, scipy mat-vecs) and the fused kernel (numba, one pass), and k = 4
    # runs as the columns of one state matrix, per run
    from runoff_abm.model.influence import BoundedConfidence, fused_available

    eng = model.engine
    st, prm = model.state, model.params
    frozen = eng.pinned()
    out["update_kernel"] = eng.kernel.kernel
    kernels = {"numpy": BoundedConfidence.from_edges(e, "numpy")}
    if fused_available():
        kernels["numba"] = BoundedConfidence.from_edges(e, "numba")
    k = 4
    cols = (np.repeat(st.leaning[:, None], k, 1), np.repeat(frozen[:, None], k, 1),
            np.repeat(st.propensity[:, None], k, 1))
    rates = np.linspace(0.1, 0.4, k)
    for name, kern in kernels.items():
        def update(kern=kern):
            kern.update(st.leaning, st.susceptibility, prm.confidence_bound, prm.influence_rate, frozen,
                        st.propensity, prm.daily_turnout_decay, prm.social_turnout)

        def columns(kern=kern):
            kern.update_columns(cols[0], st.susceptibility, np.full(k, prm.confidence_bound), rates, cols[1],
                                cols[2], np.full(k, prm.daily_turnout_decay), np.full(k, prm.social_turnout))

        update()
        columns()  # compile
        out[f"{name}_update_s"] = _best(update, max(repeats, 10))
        out[f"{name}_columns_per_run_s"] = _best(columns, max(repeats, 5)) / k
    out["array_update_s"] = out.get("numba_update_s", out["numpy_update_s"])

    if reference:
        from runoff_abm.model.engine import AgentEngine

        def whole_ref():
            m = RunoffModel(scenario=load_scenario(scenario), seed=1, members=members, engine="agents")
            m.run()
            m.release()

        out["reference_full_runoff_s"] = _best(whole_ref, 1)
        ref = RunoffModel(scenario=scn, seed=1, members=members, engine="agents")
        rdays = []
        while ref.day < ref.election_day - 1:
            t = time.perf_counter()
            ref.step()
            rdays.append(time.perf_counter() - t)
        out["reference_day_s"] = float(np.median(rdays))
        reng = AgentEngine(ref)

        def rupdate():
            reng.influence()
            reng.turnout_drift()

        out["reference_update_s"] = _best(rupdate, 1)
    model.release()
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, required=True)
    ap.add_argument("--reference", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(json.dumps(measure(args.members, args.reference, args.repeats)))


if __name__ == "__main__":
    main()
