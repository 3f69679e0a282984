"""``python -m benchmarks [--sizes 10000,66310,250000,1000000] [--out benchmarks/results.json]``

Runs each size in a fresh subprocess (so peak memory is per size), prints a table of absolute
times and of ratios measured in this run, checks the performance targets of the project, and
writes everything as JSON with machine information. Exit status is 0 even when a target is
missed: the table says which, and by how much.
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
    import mesa
    import networkx
    import numpy
    import scipy

    info = {"python": platform.python_version(), "platform": platform.platform(),
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
    cmd = [sys.executable, "-m", "benchmarks.measure", "--members", str(members)]
    if reference:
        cmd.append("--reference")
    if members >= 250_000:
        cmd += ["--repeats", "1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def table(rows: list[dict]) -> str:
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


def targets(rows: list[dict]) -> list[tuple[str, str, bool]]:
    by = {r["members"]: r for r in rows}
    out = []
    if 66310 in by:
        r = by[66310]
        if "reference_update_s" in r:
            v = r["reference_update_s"] / r["array_update_s"]
            out.append(("daily member update at 66,310: array >= 50x reference", f"{v:.0f}x", v >= 50))
        v = r["day_s"] / r["matvec_s"]
        out.append(("array day-step <= 3x bare CSR mat-vec (66,310)", f"{v:.1f}x", v <= 3))
        v = r["array_update_s"] / r["matvec_s"]
        out.append(("array member update (influence + turnout) vs mat-vec (66,310)", f"{v:.1f}x", v <= 3))
        out.append(("whole runoff at 66,310 <= 0.5 s", f"{r['full_runoff_s']:.2f} s", r["full_runoff_s"] <= 0.5))
    if 1_000_000 in by:
        r = by[1_000_000]
        out.append(("whole runoff at 1,000,000 <= 15 s", f"{r['full_runoff_s']:.1f} s", r["full_runoff_s"] <= 15))
        out.append(("peak memory at 1,000,000 <= 4 GB", f"{r['peak_rss_mb'] / 1024:.2f} GB",
                    r["peak_rss_mb"] <= 4096))
    return out


def markdown(rows: list[dict], results: list[tuple[str, str, bool]], info: dict) -> str:
    """The README's performance block: ratios measured in one run, then the targets."""
    lines = [f"Measured by `make bench` on this project's machine ({info.get('cpus')} cores, "
             f"{info.get('cpu_model', info.get('processor', '?'))}, Python {info['python']}, numpy {info['numpy']}):",
             "",
             "| members | ties | build | one day | whole runoff | peak memory | day / CSR mat-vec | "
             "reference / array: day | member update | whole run |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        def ratio(a, b, r=r):
            return f"{r[a] / r[b]:.0f}x" if a in r and b in r else "-"
        lines.append(f"| {r['members']:,} | {r['edges']:,} | {r['build_s']:.2f} s | {r['day_s'] * 1e3:.1f} ms | "
                     f"{r['full_runoff_s']:.2f} s | {r['peak_rss_mb'] / 1024:.2f} GB | "
                     f"{r['day_s'] / r['matvec_s']:.0f}x | {ratio('reference_day_s', 'day_s')} | "
                     f"{ratio('reference_update_s', 'array_update_s')} | "
                     f"{ratio('reference_full_runoff_s', 'full_runoff_s')} |")
    lines += ["", "| target | measured | |", "|---|---|---|"]
    lines += [f"| {n} | {v} | {'met' if ok else '**missed**'} |" for n, v, ok in results]
    return "\n".join(lines)


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
    ap = argparse.ArgumentParser(prog="python -m benchmarks")
    ap.add_argument("--sizes", default="10000,66310,250000,1000000")
    ap.add_argument("--out", default="benchmarks/results.json")
    ap.add_argument("--no-readme", dest="readme", action="store_false",
                    help="do not rewrite the performance table in README.md")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for n in sizes:
        print(f"measuring {n:,} members ...", file=sys.stderr, flush=True)
        rows.append(run_size(n, reference=n <= REFERENCE_MAX))
    print(table(rows))
    print()
    print(phase_table(rows))
    print()
    results = targets(rows)
    for name, value, ok in results:
        print(f"[{'met' if ok else 'MISSED'}] {name}: {value}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"machine": machine(), "sizes": rows,
                                          "targets": [{"target": n, "value": v, "met": ok} for n, v, ok in results]},
                                         indent=1) + "\n")
    print(f"\nwrote {args.out}")
    info = machine()
    if args.readme and update_readme(markdown(rows, results, info)):
        print("updated the performance table in README.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
