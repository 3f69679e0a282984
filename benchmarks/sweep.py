"""Sweep throughput: serial vs local processes vs a local Dask cluster, on this machine.

    python -m benchmarks.sweep [--runs 384] [--members 5000]

Prints runs/s for each executor and its ratio to the ideal ``cores x single-run rate`` (the
single-run rate measured in the same run, in this process), and writes
``benchmarks/sweep-results.json``. Not a timed test: it reports what it measures.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def spec_for(runs: int, members: int):
    from runoff_abm.studies.spec import parse_spec

    reps = max(1, runs // 4)
    return parse_spec({"name": "bench", "scenario": "labor-2011", "members": members, "replicates": reps,
                       "seed": 1, "design": {"kind": "factorial"},
                       "parameters": {"contractor_compliance": [0.6, 0.7, 0.8, 0.9]}}, source="<bench>")


def main(argv=None) -> int:
    from runoff_abm.model.api import run
    from runoff_abm.studies.sweep import run_sweep

    ap = argparse.ArgumentParser(prog="python -m benchmarks.sweep")
    ap.add_argument("--runs", type=int, default=384)
    ap.add_argument("--members", type=int, default=5000)
    ap.add_argument("--out", default="benchmarks/sweep-results.json")
    args = ap.parse_args(argv)
    cores = os.cpu_count() or 1
    spec = spec_for(args.runs, args.members)
    total = 4 * spec.replicates

    run("labor-2011", seed=0, members=args.members)  # warm-up (imports, caches)
    t = time.perf_counter()
    n_single = 8
    for s in range(n_single):
        run("labor-2011", seed=s, members=args.members)
    single = n_single / (time.perf_counter() - t)
    ideal = cores * single

    results = {"cores": cores, "members": args.members, "runs": total, "single_run_rate": single}
    rows = []
    for name, kw in (("serial", {"executor": "serial"}),
                     ("processes", {"executor": "processes", "workers": cores}),
                     ("dask local cluster", {"executor": "dask", "local_cluster": cores})):
        with tempfile.TemporaryDirectory() as d:
            t = time.perf_counter()
            run_sweep(spec, str(Path(d) / "out"), progress=False, **kw)
            secs = time.perf_counter() - t
        rate = total / secs
        rows.append({"executor": name, "seconds": secs, "runs_per_s": rate, "vs_ideal": rate / ideal})
    results["executors"] = rows
    print(f"sweep of {total} runs at {args.members:,} members on {cores} cores; "
          f"single run {single:.1f} runs/s in-process, ideal {ideal:.1f} runs/s (cores x single)")
    print(f"{'executor':<20}{'seconds':>9}{'runs/s':>9}{'vs ideal':>10}")
    for r in rows:
        print(f"{r['executor']:<20}{r['seconds']:>9.2f}{r['runs_per_s']:>9.1f}{r['vs_ideal']:>9.0%}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
