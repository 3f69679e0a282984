"""``python -m benchmarks [--sizes 10000,66310,250000,1000000] [--out benchmarks/results.json]``

Runs each size in a fresh subprocess (so peak memory is per size), then the sweep benchmark
(:mod:`benchmarks.sweep`: uncached vs cached vs batched, serial vs processes vs Dask, at the real
roll, and calibration draws/s), and prints in one run: absolute times and ratios, where a whole
run's time goes (per phase), the member-update kernels against a bare CSR mat-vec, sweep
throughput, and the project's performance targets, each met or missed. Writes everything as
JSON with machine information and regenerates README's performance block. Exit status is 0
even when a target is missed: the table says which, and by how much.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

REFERENCE_MAX = 66310  # the per-agent engine is timed up to the real roll


def machine() -> dict:
    """Versions, cores, memory and CPU of this machine, and its load now."""
    import mesa
    import networkx
    import numpy
    import scipy

    try:
        import numba

        numba_version = numba.__version__
    except ImportError:
        numba_version = ""
    info = {"python": platform.python_version(), "platform": platform.platform(), "numba": numba_version,
            "load": f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "?",
            "processor": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "numpy": numpy.__version__, "scipy": scipy.__version__, "mesa": mesa.__version__,
            "networkx": networkx.__version__}
    try:
        mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
        info["memory_gb"] = round(int(mem) / 2**20, 1)
        cpu = [ln for ln in Path("/proc/cpuinfo").read_text().split("\n") if ln.startswith("model name")]
        if cpu:
            info["cpu_model"] = cpu[0].split(":", 1)[1].strip()
    except OSError:
        pass
    return info


def run_size(members: int, reference: bool) -> dict:
    """Measure one size in a fresh subprocess (:mod:`benchmarks.measure`)."""
    cmd = [sys.executable, "-m", "benchmarks.measure", "--members", str(members)]
    if reference:
        cmd.append("--reference")
    if members >= 250_000:
        cmd += ["--repeats", "1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def table(rows: list[dict]) -> str:
    """Absolute times and ratios per size."""
    head = (f"{'members':>10} {'edges':>10} {'build s':>8} {'day ms':>8} {'full s':>7} {'peak MB':>8} "
            f"{'day/matvec':>10} {'ref/array day':>13} {'ref/array upd':>13} {'ref/array run':>13}")
    lines = [head, "-" * len(head)]
    for r in rows:
        def ratio(a, b, r=r):
            return f"{r[a] / r[b]:.1f}x" if a in r and b in r else "-"
        lines.append(f"{r['members']:>10,} {r['edges']:>10,} {r['build_s']:>8.2f} {r['day_s'] * 1e3:>8.1f} "
                     f"{r['full_runoff_s']:>7.2f} {r['peak_rss_mb']:>8.0f} "
                     f"{ratio('day_s', 'matvec_s'):>10} {ratio('reference_day_s', 'day_s'):>13} "
                     f"{ratio('reference_update_s', 'array_update_s'):>13} "
                     f"{ratio('reference_full_runoff_s', 'full_runoff_s'):>13}")
    return "\n".join(lines)


def phase_table(rows: list[dict]) -> str:
    """Where a whole run's time goes, per phase (medians over the repeats), with each phase's share."""
    names = list(rows[0]["phases_s"]) if rows else []
    lines = [f"{'phase':<12}" + "".join(f"{r['members']:>18,}" for r in rows), "-" * (12 + 18 * len(rows))]
    for k in names:
        cells = []
        for r in rows:
            v, tot = r["phases_s"].get(k, float("nan")), sum(r["phases_s"].values())
            cells.append(f"{v * 1e3:>10.1f} ms {v / tot:>4.0%}")
        lines.append(f"{k:<12}" + "".join(cells))
    return "\n".join(lines)


def kernel_table(rows: list[dict]) -> str:
    """The daily member update (influence + turnout drift) per kernel, against a bare mat-vec."""
    lines = [f"{'members':>10} {'mat-vec ms':>10} {'numpy update':>16} {'numba update':>16} "
             f"{'numpy x4 cols/run':>18} {'numba x4 cols/run':>18}", "-" * 93]
    for r in rows:
        mv = r["matvec_s"]

        def cell(key, r=r, mv=mv, w=16):
            return f"{r[key] * 1e3:>{w - 7}.2f} ms {r[key] / mv:>4.1f}x" if key in r else f"{'-':>{w}}"

        lines.append(f"{r['members']:>10,} {mv * 1e3:>10.2f} {cell('numpy_update_s')} {cell('numba_update_s')} "
                     f"{cell('numpy_columns_per_run_s', w=18)} {cell('numba_columns_per_run_s', w=18)}")
    return "\n".join(lines)


def run_sweeps(members: int, runs: int, calibration_draws: int) -> dict:
    """The sweep benchmark in a fresh subprocess (its JSON line)."""
    cmd = [sys.executable, "-m", "benchmarks.sweep", "--members", str(members), "--runs", str(runs),
           "--calibration-draws", str(calibration_draws), "--json", "--out", os.devnull]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def targets(rows: list[dict], sweeps: dict | None = None) -> list[tuple[str, str, bool]]:
    """Every target of the project (issue 17 and before) as (target, measured, met)."""
    by = {r["members"]: r for r in rows}
    out = []
    if 66310 in by:
        r = by[66310]
        out.append(("graph build at 66,310 <= 40 ms", f"{r['graph_s'] * 1e3:.0f} ms", r["graph_s"] <= 0.040))
        out.append(("whole runoff at 66,310 <= 0.12 s", f"{r['full_runoff_s']:.2f} s", r["full_runoff_s"] <= 0.12))
        v = r["array_update_s"] / r["matvec_s"]
        out.append((f"member update (influence + turnout, {r.get('update_kernel', 'numpy')} kernel) <= 3x bare "
                    "CSR mat-vec (66,310)", f"{v:.1f}x", v <= 3))
        v = r["day_s"] / r["matvec_s"]
        out.append(("whole day-step <= 3x bare CSR mat-vec (66,310)", f"{v:.1f}x", v <= 3))
        if "reference_update_s" in r:
            v = r["reference_update_s"] / r["array_update_s"]
            out.append(("daily member update at 66,310: array >= 50x reference", f"{v:.0f}x", v >= 50))
    if 1_000_000 in by:
        r = by[1_000_000]
        out.append(("whole runoff at 1,000,000 <= 3 s", f"{r['full_runoff_s']:.1f} s", r["full_runoff_s"] <= 3))
        out.append(("peak memory at 1,000,000 <= 2 GB", f"{r['peak_rss_mb'] / 1024:.2f} GB", r["peak_rss_mb"] <= 2048))
    if sweeps:
        modes = {m["mode"]: m for m in sweeps["modes"]}
        m = modes.get("processes, uncached")
        if m:
            out.append((f"processes >= 90% of cores x single-run rate (uncached, {sweeps['members']:,} members)",
                        f"{m['vs_ideal']:.0%} ({m['vs_available']:.0%} of the {sweeps['available_cores']:.2f} cores "
                        "really available)", m["vs_ideal"] >= 0.9))
        best = max(sweeps["modes"], key=lambda x: x["runs_per_s"])
        out.append(("sweep runs/s three times the serial uncached rate (best mode: " + best["mode"] + ")",
                    f"{best['vs_serial_uncached']:.1f}x", best["vs_serial_uncached"] >= 3))
    return out


def markdown(rows: list[dict], results: list[tuple[str, str, bool]], info: dict, sweeps: dict | None = None) -> str:
    """The README's performance block: ratios measured in one run, then the targets."""
    lines = [f"Measured by `make bench` on this project's machine ({info.get('cpus')} cores, "
             f"{info.get('cpu_model', info.get('processor', '?'))}, Python {info['python']}, numpy {info['numpy']}"
             f"{', numba ' + info['numba'] if info.get('numba') else ''}; load average {info.get('load', '?')} "
             "at the start: the cores are shared with other jobs):",
             "",
             "| members | ties | population | graph | one day | whole runoff | peak memory | member update / "
             "CSR mat-vec | reference / array: member update | whole run |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        def ratio(a, b, r=r):
            return f"{r[a] / r[b]:.0f}x" if a in r and b in r else "-"
        lines.append(f"| {r['members']:,} | {r['edges']:,} | {r['population_s'] * 1e3:.0f} ms | "
                     f"{r['graph_s'] * 1e3:.0f} ms | {r['day_s'] * 1e3:.1f} ms | "
                     f"{r['full_runoff_s']:.2f} s | {r['peak_rss_mb'] / 1024:.2f} GB | "
                     f"{r['array_update_s'] / r['matvec_s']:.1f}x | {ratio('reference_update_s', 'array_update_s')} | "
                     f"{ratio('reference_full_runoff_s', 'full_runoff_s')} |")
    if rows:
        r = max(rows, key=lambda x: x["members"] if x["members"] <= 66310 else 0)
        tot = sum(r["phases_s"].values())
        parts = ", ".join(f"{k} {v * 1e3:.1f} ms ({v / tot:.0%})" for k, v in r["phases_s"].items()
                          if not k.startswith("day."))
        days = sum(v for k, v in r["phases_s"].items() if k.startswith("day."))
        lines += ["", f"Where a whole run's time goes at {r['members']:,} members (medians): {parts}; "
                  f"the {r['days']} campaign days {days * 1e3:.0f} ms ({days / tot:.0%})."]
    if sweeps:
        lines += ["", f"Sweeps: {sweeps['runs']} runs at {sweeps['members']:,} members (4 values of a parameter that "
                  f"shapes neither population nor graph x {sweeps['runs'] // 4} replicates); single run "
                  f"{sweeps['single_run_rate']:.2f} runs/s, ideal {sweeps['ideal_rate']:.2f} runs/s (cores x single); "
                  f"a CPU-bound probe found {sweeps['available_cores']:.2f} of the {sweeps['cores']} cores free; "
                  f"start-up apart (once per process): worker pool {sweeps['process_pool_start_s']:.1f} s, Dask "
                  f"cluster {sweeps['dask_cluster_start_s']:.1f} s:",
                  "", "| mode | runs/s | of ideal | of available cores | vs serial uncached |",
                  "|---|---:|---:|---:|---:|"]
        for m in sweeps["modes"]:
            lines.append(f"| {m['mode']} | {m['runs_per_s']:.2f} | {m['vs_ideal']:.0%} | {m['vs_available']:.0%} | "
                         f"{m['vs_serial_uncached']:.2f}x |")
        cal = sweeps.get("calibration") or {}
        if "draws_per_s" in cal:
            lines += ["", f"Calibration (ABC prior draws at {cal['members']:,} members, processes): "
                      f"{cal['draws_per_s']:.1f} draws/s."]
    lines += ["", "| target | measured | |", "|---|---|---|"]
    lines += [f"| {n} | {v} | {'met' if ok else '**missed**'} |" for n, v, ok in results]
    missed = [n for n, _, ok in results if not ok]
    notes = [why for key, why in LIMITS.items() if any(n.startswith(key) for n in missed)]
    if notes:
        lines += ["", "What limits the missed targets: " + " ".join(notes)]
    return "\n".join(lines)


#: Why a target is missed, by the start of its name (printed under the table when it is).
LIMITS = {
    "graph build": "The graph build is now one comparison sort of the tie keys plus counting sorts; what "
                   "remains is the graph's own draws (six uniform numbers per tie, kept so that every "
                   "graph and result stays the same) and, on this virtual machine, first touches of "
                   "fresh tie-sized arrays, which cost more than the arithmetic on them.",
    "whole runoff at 66,310": "A single run still builds its population (Beta draws: the same draws as "
                              "before) and its graph (above): half of it. A sweep builds them once per "
                              "replicate (the cached rows above).",
    "whole day-step": "Besides the member update, a day canvasses along activists' ties, runs contagion, "
                      "decisions and events, and computes the reporters' projection: several passes over "
                      "the members that no kernel fuses.",
    "whole runoff at 1,000,000": "At 10^6 members the graph build (the draws and the sort of 1.1 x 10^7 "
                                 "tie keys) is half of a run, and the machine's memory bandwidth bounds it.",
    "processes": "The two cores are shared with other jobs: the CPU-bound probe measures how much of them "
                 "is free, and no executor can exceed that.",
    "sweep runs/s three": "With two shared cores the executors add little; what a sweep gains here comes "
                          "from reuse (population and graph once per replicate) and batching.",
    "member update": "The fused kernel (numba) is one pass over the ties at about 3x the mat-vec: per tie it "
                     "also gathers a propensity and tests the confidence bound; between runs on this shared "
                     "machine it measures 2.2-4.4x. Without numba the numpy path is about 7x.",
}


def update_readme(block: str, path: Path = Path("README.md")) -> bool:
    """Replace the text between the bench markers in the README; False if there are none."""
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    if not path.exists():
        return False
    text = path.read_text()
    if start not in text or end not in text:
        return False
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{block}\n{end}{tail}")
    return True


def main(argv=None) -> int:
    """Measure every size and the sweeps, print it all, write the JSON file and the README block."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks")
    ap.add_argument("--sizes", default="10000,66310,250000,1000000")
    ap.add_argument("--sweep-runs", type=int, default=36, help="runs of the sweep benchmark (0: skip it)")
    ap.add_argument("--sweep-members", type=int, default=66310)
    ap.add_argument("--calibration-draws", type=int, default=60)
    ap.add_argument("--out", default="benchmarks/results.json")
    ap.add_argument("--no-readme", dest="readme", action="store_false",
                    help="do not rewrite the performance table in README.md")
    args = ap.parse_args(argv)
    info = machine()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for n in sizes:
        print(f"measuring {n:,} members ...", file=sys.stderr, flush=True)
        rows.append(run_size(n, reference=n <= REFERENCE_MAX))
    sweeps = None
    if args.sweep_runs:
        print(f"measuring sweeps of {args.sweep_runs} runs at {args.sweep_members:,} members ...", file=sys.stderr,
              flush=True)
        sweeps = run_sweeps(args.sweep_members, args.sweep_runs, args.calibration_draws)
    print(table(rows))
    print()
    print(phase_table(rows))
    print()
    print(kernel_table(rows))
    if sweeps:
        from benchmarks.sweep import table as sweep_table

        print()
        print(sweep_table(sweeps))
    print()
    results = targets(rows, sweeps)
    for name, value, ok in results:
        print(f"[{'met' if ok else 'MISSED'}] {name}: {value}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"machine": info, "sizes": rows, "sweeps": sweeps,
                                          "targets": [{"target": n, "value": v, "met": ok} for n, v, ok in results]},
                                         indent=1) + "\n")
    print(f"\nwrote {args.out}")
    if args.readme and update_readme(markdown(rows, results, info, sweeps)):
        print("updated the performance table in README.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
