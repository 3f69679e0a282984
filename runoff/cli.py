"""The ``runoff`` command line: run a scenario, list and describe scenarios, list parameters.

Bad input (a malformed scenario, an unknown or out-of-range parameter, a bad seed) prints one
message naming the file or option, the field and what is allowed, to stderr, and exits with
status 2; nothing is printed to stdout then. The same command with the same seed prints
byte-identical output.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap

from runoff_abm.model.errors import InputError, RunoffError, one_line
from runoff_abm.model.inputs import (
    MAX_WORKERS,
    parse_count,
    parse_fraction,
    parse_members,
    parse_overrides,
    parse_seed,
)
from runoff_abm.scenarios import DEFAULT_SCENARIO

__all__ = ["main"]

EXIT_USAGE = 2


class UsageError(InputError):
    """A command-line usage error (one line, exit status 2)."""

    def __init__(self, message: str):
        super().__init__("", "", message)


class _Parser(argparse.ArgumentParser):
    """argparse with its usage errors as one line, like every other error (``runoff: error:``,
    exit status 2, nothing on stdout); ``runoff COMMAND --help`` still shows the usage."""

    def error(self, message: str):  # noqa: D102 - argparse's hook
        print(f"runoff: error: {one_line(message)} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def cmd_run(args) -> int:
    from runoff_abm.model.api import run
    from runoff_abm.model.scenario import load_scenario

    scn = load_scenario(args.scenario)
    overrides = parse_overrides(args.set or [])
    members = None if args.members is None else parse_members(args.members, "--members")
    seed = parse_seed(args.seed, "--seed")
    rules = {}
    for item in args.rule or []:
        name, eq, target = item.partition("=")
        if not eq:
            raise UsageError(f"--rule {item}: expected NAME=file.py:function (NAME: turnout or choice)")
        rules[name.strip()] = target.strip()
    result = run(scn, seed=seed, members=members, engine=args.engine, rules=rules, trust_rules=args.trust_rules,
                 **overrides)
    if args.json:
        print(json.dumps(result.to_dict(), indent=None if args.compact else 1, allow_nan=False))
    else:
        print(result.format_text(scn.title))
    return 0


def cmd_scenarios(args) -> int:
    from runoff_abm.model.scenario import builtin_names, load_scenario

    names = builtin_names()
    width = max(len(n) for n in names)
    for name in names:
        scn = load_scenario(name)
        print(f"{name:<{width}}  {scn.title}")
    return 0


def cmd_describe(args) -> int:
    from runoff_abm.model.params import Params
    from runoff_abm.model.population import scaled_counts, sector_table
    from runoff_abm.model.scenario import load_scenario

    scn = load_scenario(args.scenario)
    out = [f"{scn.name}: {scn.title}", f"file: {scn.path}", ""]
    if scn.description:
        out += [textwrap.fill(" ".join(scn.description.split()), 96), ""]
    out.append(f"roll {scn.roll:,} | runoff on day {scn.election_day} (round 1 = day 0) | "
               f"finalists {scn.finalists[0]} (A) and {scn.finalists[1]} (B)")
    out.append("")
    ballots = scn.round1_ballots
    out.append("Round 1")
    for c in scn.candidates:
        tag = "finalist" if c.finalist else "eliminated"
        out.append(f"  {c.name:<16}{c.votes:>9,}  {c.votes / ballots:>6.1%} of ballots  {tag:<10}"
                   f"  activists {c.activists:,}")
    out.append(f"  {'blank':<16}{scn.blank:>9,}")
    out.append(f"  {'abstained':<16}{scn.abstained:>9,}  turnout {ballots / scn.roll:.1%}")
    if scn.sectors:
        counts = scaled_counts(scn, scn.roll)
        sizes, table = sector_table(scn, counts, scn.roll)
        out += ["", "Sectors (round-1 table fitted to the official totals)"]
        for s, size, row in zip(scn.sectors, sizes, table, strict=True):
            out.append(f"  {s.name:<18}{size:>8,} members  turnout {1 - row[-1] / size:>6.1%}  "
                       f"leaning to {scn.finalists[0]} {s.lean:.2f}")
    if scn.contractors:
        out += ["", "Contractors"]
        p = Params.from_mapping(scn.parameters)
        for c in scn.contractors:
            comp = c.compliance if c.compliance is not None else p.contractor_compliance
            out.append(f"  {c.name:<26} patron {c.patron:<14} bloc {c.bloc:>6,}  "
                       f"sector {c.sector or '-':<18} compliance {comp:.2f}")
    if scn.institutions:
        out += ["", "Institutions"]
        for i in scn.institutions:
            out.append(f"  {i.name:<40} reaches {i.reach:.0%} of {', '.join(i.sectors) or 'the roll'}")
    out += ["", "Event timeline"]
    if not scn.events:
        out.append("  (no events)")
    for ev in scn.events:
        out.append(f"  day {ev.day}: {ev.describe()}")
        if ev.note:
            out.append(f"         {ev.note}")
    out.append(f"  day {scn.election_day}: runoff")
    if scn.parameters:
        out += ["", "Parameter overrides"]
        for k, v in scn.parameters.items():
            out.append(f"  {k} = {v}")
    if scn.observed:
        o = scn.observed
        sh = o.shares()
        out += ["", "Observed runoff (never used by the simulation)"]
        for f in scn.finalists:
            out.append(f"  {f:<16}{o.votes[f]:>9,}  {sh[f]:.1%}")
        if o.turnout is not None:
            out.append(f"  {'turnout':<16}{o.turnout:>9.1%}")
    print("\n".join(out))
    return 0


def cmd_params(args) -> int:
    from runoff_abm.model.params import PARAM_SPECS

    if args.markdown:
        from runoff_abm.model.params import markdown_table

        print(markdown_table())
        return 0
    group = None
    for s in PARAM_SPECS:
        if s.group != group:
            group = s.group
            print(f"\n[{group}]")
        print(f"  {s.name:<28}{s.default!s:>7}  [{s.low}, {s.high}] {s.unit}")
        print(f"  {'':<28}{s.meaning}")
    return 0


def cmd_sweep(args) -> int:
    from runoff_abm.studies.spec import load_spec
    from runoff_abm.studies.sweep import run_sweep

    spec = load_spec(args.spec, trust_code=args.trust_code, trust_rules=args.trust_rules)
    chunk = None if args.chunk is None else parse_count(args.chunk, "--chunk", 1, 100_000, "runs")
    summary = run_sweep(spec, args.out, chunk=chunk, progress=not args.quiet, **_executor(args))
    print(summary.line())
    return 0


def _sweep_store(path: str):
    from runoff_abm.studies.store import Store
    from runoff_abm.studies.sweep import SweepError

    store = Store(path)
    if not store.exists():
        raise SweepError(f"{path}: not a sweep directory (no manifest.json)")
    return store


def cmd_analyze(args) -> int:
    from pathlib import Path

    from runoff_abm.studies.analysis import format_summary, plot_summary, summarise

    store = _sweep_store(args.dir)
    table = summarise(args.dir, args.outcome)
    print(format_summary(table, store.manifest(), args.outcome))
    if not args.no_plots:
        paths = plot_summary(table, store.manifest(), Path(args.dir) / "plots", args.outcome)
        print(f"\nwrote {len(paths)} plots to {Path(args.dir) / 'plots'}")
    return 0


def cmd_sensitivity(args) -> int:
    from pathlib import Path

    from runoff_abm.studies.analysis import format_sensitivity, plot_sensitivity, sensitivity

    store = _sweep_store(args.dir)
    table = sensitivity(args.dir, args.outcome)
    print(format_sensitivity(table, store.manifest()))
    if not args.no_plots:
        paths = plot_sensitivity(table, store.manifest(), Path(args.dir) / "plots")
        print(f"\nwrote {', '.join(str(p) for p in paths)}")
    return 0


def _executor(args) -> dict:
    """Executor keyword arguments from --serial / --workers / --scheduler / --local-cluster."""
    workers = None if args.workers is None else parse_count(args.workers, "--workers", 1, MAX_WORKERS, "processes")
    local = None if args.local_cluster is None else parse_count(args.local_cluster, "--local-cluster", 1,
                                                                 MAX_WORKERS, "workers")
    if args.serial:
        return {"executor": "serial"}
    if args.scheduler or local:
        return {"executor": "dask", "scheduler": args.scheduler, "local_cluster": local}
    return {"executor": "processes", "workers": workers}


def cmd_calibrate(args) -> int:
    from runoff_abm.model.scenario import load_scenario
    from runoff_abm.studies.calibrate import calibrate

    scn = load_scenario(args.scenario)
    cal = calibrate(scn, args.out, prior=args.prior, draws=parse_count(args.draws, "--draws", 20, 1_000_000, "draws"),
                    accept=parse_fraction(args.accept, "--accept"),
                    members=parse_members(args.members, "--members"), seed=parse_seed(args.seed, "--seed"),
                    progress=not args.quiet, trust_rules=args.trust_rules,
                    predictive=parse_count(args.predictive, "--predictive", 0, 1_000_000, "runs"), **_executor(args))
    print(cal.report())
    print(f"\nwrote {args.out}/posterior.parquet, calibrated.toml, report.txt and plots/")
    return 0


def cmd_predict(args) -> int:
    from runoff_abm.studies.predict import predict

    members = None if args.members is None else parse_members(args.members, "--members")
    pred = predict(args.scenario, posterior=args.posterior,
                   replicates=parse_count(args.replicates, "--replicates", 1, 1_000_000, "runs"), members=members,
                   seed=parse_seed(args.seed, "--seed"), trust_rules=args.trust_rules, **_executor(args))
    if args.json:
        print(json.dumps(pred.table(), default=float))
    else:
        print(pred.format())
    return 0


def cmd_validate(args) -> int:
    from pathlib import Path

    from runoff_abm.studies.validate import markdown, run_all

    checks = run_all(quick=args.quick)
    width = max(len(c.pattern) for c in checks)
    for c in checks:
        print(f"[{'pass' if c.passed else 'FAIL'}] {c.pattern:<{width}}  target: {c.target}")
        print(f"       {'':<{width}}  measured: {c.measured}")
    if args.out:
        Path(args.out).write_text(markdown(checks, args.quick))
        print(f"\nwrote {args.out}")
    return 0 if all(c.passed for c in checks) else 1


def _add_executor_options(p) -> None:
    ex = p.add_mutually_exclusive_group()
    ex.add_argument("--workers", default=None, help="local worker processes (default: all cores)")
    ex.add_argument("--scheduler", default=None, help="address of a running Dask scheduler, e.g. tcp://host:8786")
    ex.add_argument("--local-cluster", default=None, metavar="N",
                    help="start a local Dask cluster with N worker processes")
    ex.add_argument("--serial", action="store_true", help="run in this process")


def _add_trust_rules(p) -> None:
    p.add_argument("--trust-rules", action="store_true",
                   help="run the plug-in rules named in the scenario's [rules] (code the file names; "
                   "only for files you trust, see docs/security.md)")


def build_parser() -> argparse.ArgumentParser:
    from runoff_abm import __version__

    parser = _Parser(prog="runoff", description="Agent-based model of a party-leadership runoff.")
    parser.add_argument("--version", action="version", version=f"runoff-abm {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run a scenario to election day and print the result")
    p.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO, help="built-in name or path to a .toml file")
    p.add_argument("--seed", default="0", help="master seed (non-negative integer; default 0)")
    p.add_argument("--members", default=None, help="members to simulate (default: the roll)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a parameter (repeatable)")
    p.add_argument("--engine", choices=["array", "agents"], default="array",
                   help="array (vectorised, default) or agents (per-agent reference)")
    p.add_argument("--rule", action="append", metavar="NAME=FILE.py:FUNC",
                   help="plug in your own decision rule (NAME: turnout or choice; FILE relative to the working "
                   "directory); see docs/teaching.md")
    _add_trust_rules(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--compact", action="store_true", help="with --json: on one line")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("scenarios", help="list the built-in scenarios")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("describe", help="show a scenario and its event timeline")
    p.add_argument("scenario", help="built-in name or path to a .toml file")
    p.set_defaults(func=cmd_describe)

    p = sub.add_parser("sweep", help="run a parameter study (sweep spec TOML) into a results directory")
    p.add_argument("spec", help="sweep spec (.toml), see docs/studies.md")
    p.add_argument("--out", required=True, help="results directory (resumed if it holds this spec's sweep)")
    _add_executor_options(p)
    p.add_argument("--chunk", default=None, help="runs per task (default: automatic)")
    _add_trust_rules(p)
    p.add_argument("--trust-code", action="store_true",
                   help="run the spec's run_function (code the spec names); only for specs you wrote")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("analyze", help="per-design-point means, CIs and win probabilities of a sweep; plots")
    p.add_argument("dir", help="a sweep's results directory")
    p.add_argument("--outcome", action="append", help="outcome column (repeatable; default: the spec's)")
    p.add_argument("--no-plots", action="store_true")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("sensitivity", help="Morris or Sobol indices of a sweep (SALib); bar chart")
    p.add_argument("dir", help="a sweep's results directory (morris or sobol design)")
    p.add_argument("--outcome", action="append", help="outcome column (repeatable; default: the spec's)")
    p.add_argument("--no-plots", action="store_true")
    p.set_defaults(func=cmd_sensitivity)

    p = sub.add_parser("calibrate", help="ABC calibration of behavioural parameters against the observed runoff")
    p.add_argument("scenario", help="built-in name or path to a .toml file with an [observed] result")
    p.add_argument("--out", required=True, help="output directory (the prior-predictive sweep resumes there)")
    p.add_argument("--prior", default=None, help="prior ranges (TOML [parameters] with { low, high }); "
                   "default scenarios/calibration/prior.toml")
    p.add_argument("--draws", default="2000", help="prior draws (default 2000)")
    p.add_argument("--accept", default="0.05", help="fraction of draws accepted (default 0.05)")
    p.add_argument("--members", default="10000", help="members per run (default 10000)")
    p.add_argument("--seed", default="1", help="master seed (default 1)")
    p.add_argument("--predictive", default="200", help="posterior-predictive runs (default 200)")
    _add_trust_rules(p)
    p.add_argument("--quiet", action="store_true")
    _add_executor_options(p)
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("predict", help="win probabilities and intervals for a runoff from its first round")
    p.add_argument("scenario", help="built-in name or path to a .toml file")
    p.add_argument("--posterior", default=None, help="posterior.parquet or a `runoff calibrate` directory")
    p.add_argument("--replicates", default="200", help="runs (default 200)")
    _add_trust_rules(p)
    p.add_argument("--members", default=None, help="members per run (default: the roll)")
    p.add_argument("--seed", default="0", help="master seed (default 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _add_executor_options(p)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("validate", help="run the validation pattern suite and print the table")
    p.add_argument("--quick", action="store_true", help="fewer seeds and members")
    p.add_argument("--out", default=None, help="also write the table as Markdown (e.g. docs/validation.md)")
    p.set_defaults(func=cmd_validate)

    from runoff_abm.viz.cli import add_viz_parser

    add_viz_parser(sub)

    p = sub.add_parser("params", help="list the model parameters with defaults, ranges and meanings")
    p.add_argument("--markdown", action="store_true", help="as a Markdown table (for docs/ODD.md)")
    p.set_defaults(func=cmd_params)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except RunoffError as err:
        print(f"runoff: error: {one_line(str(err))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("runoff: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # pragma: no cover - e.g. `runoff run | head`
        return 0
    except OSError as err:  # a file the user named cannot be read or written (e.g. --out on a full disk)
        if err.filename is None:
            raise
        print(f"runoff: error: {one_line(str(err.filename))}: {err.strerror or err}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
