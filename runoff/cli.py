"""The ``runoff`` command line: run a scenario (one draw, or replicates), rerun a recorded result,
list and describe scenarios and parameters, and the studies (sweep, analyze, sensitivity,
calibrate, predict, validate) and the app (viz).

- **Bad input** (a malformed scenario, an unknown or out-of-range parameter, a bad seed, an
  option argparse refuses) prints one line ``runoff: error: ...`` naming the file or option,
  the field and what is allowed, to stderr, and exits with status 2; nothing goes to stdout.
- **Reproducible**: the same command with the same seed prints byte-identical output. ``runoff
  run --json`` records everything the run needs (the scenario's resolved tables, seed, members,
  engine, overrides, plug-in rules with the sha256 of their source, replicates) under
  ``reproduce``; ``runoff rerun FILE.json`` runs it again and prints the same bytes.
- **Fits 100 columns**: text output is laid out for 100 columns; ``--wide`` prints one wide
  table instead. Files written with ``--out`` (report.txt, validation tables) are wide.
- **Progress** of long jobs goes to stderr, only when stderr is a terminal (or in Jupyter), and
  never with ``--quiet`` (:mod:`runoff_abm.studies.progress`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from runoff_abm.model.errors import InputError, RunoffError, one_line
from runoff_abm.model.inputs import (
    EXIT_USAGE,
    MAX_WORKERS,
    OneLineParser,
    parse_count,
    parse_fraction,
    parse_members,
    parse_overrides,
    parse_seed,
    parse_workers,
)
from runoff_abm.model.present import WIDTH, fit_table, wrap
from runoff_abm.scenarios import DEFAULT_SCENARIO

__all__ = ["main", "build_parser", "RECORD_FORMAT"]

#: The version of the ``reproduce`` record in ``runoff run --json`` (read by ``runoff rerun``).
RECORD_FORMAT = 1
#: The largest result file ``runoff rerun`` reads.
MAX_RECORD_BYTES = 64 * 1024 * 1024


class UsageError(InputError):
    """A command-line usage error (one line, exit status 2)."""

    def __init__(self, message: str):
        super().__init__("", "", message)


def _width(args) -> int | None:
    """The width text output fits: 100 columns, or None (one wide table) with ``--wide``."""
    return None if getattr(args, "wide", False) else WIDTH


def cmd_run(args) -> int:
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
    return _execute(args, scn, seed=seed, members=members, engine=args.engine, overrides=overrides, rules=rules,
                    replicates=args.replicates)


def _execute(args, scn, *, seed: int, members: int | None, engine: str, overrides: dict[str, Any],
             rules: dict[str, str], replicates: int | None) -> int:
    """Run ``scn`` once (and its replicates) and print the report or the JSON (``run`` and ``rerun``)."""
    from runoff_abm.model.provenance import rule_records, rule_spec
    from runoff_abm.model.runoff import RunoffModel

    if replicates is not None and replicates < 2:
        raise UsageError(f"--replicates {replicates}: expected at least 2 (one run is `runoff run` itself)")
    workers = parse_workers(args.workers)
    model = RunoffModel(scenario=scn, seed=seed, members=members, engine=engine, rules=rules,
                        trust_rules=args.trust_rules, **overrides)
    try:
        result = model.run()
        records = rule_records({**scn.rules, **rules}, model.rules)
    finally:
        model.release()
    result.overrides = dict(overrides)
    spread = None
    if replicates:
        from runoff_abm.studies.replicates import run_replicates

        spread = run_replicates(scn, replicates, seed=seed, members=members, overrides=overrides,
                                rules={r["name"]: rule_spec(r) for r in records},
                                executor="serial" if args.serial else "processes", workers=workers,
                                progress=not args.quiet, observed=result.observed)
    if args.json:
        data = result.to_dict()
        data.setdefault("overrides", dict(overrides))
        data.setdefault("rules", records)
        if spread is not None:
            data["replicates"] = spread.table()
        data["reproduce"] = {
            "format": RECORD_FORMAT, "command": "runoff rerun THIS_FILE.json",
            "scenario": scn.to_dict(), "seed": seed, "members": members, "engine": engine,
            "overrides": dict(overrides), "rules": records, "replicates": replicates,
        }
        print(json.dumps(data, indent=None if args.compact else 1, allow_nan=False))
    else:
        width = _width(args)
        print(result.format_text(scn.title, rules=records, width=width,
                                 spread=spread.format(width) if spread is not None else ""))
    return 0


def cmd_rerun(args) -> int:
    """``runoff rerun FILE.json``: run again what ``runoff run --json`` recorded under ``reproduce``."""
    from runoff_abm.model.engine import ENGINES
    from runoff_abm.model.errors import ParameterError
    from runoff_abm.model.params import Params
    from runoff_abm.model.provenance import describe_rule, rule_spec, sha256_file
    from runoff_abm.model.scenario import parse_scenario

    src = args.file

    def bad(field: str, message: str) -> InputError:
        return InputError(src, field, message)

    try:
        raw = Path(src).read_bytes() if src != "-" else sys.stdin.buffer.read(MAX_RECORD_BYTES + 1)
    except OSError as err:
        raise bad("", f"cannot read the file ({err.strerror}); give the JSON written by `runoff run --json`") from None
    if len(raw) > MAX_RECORD_BYTES:
        raise bad("", f"larger than {MAX_RECORD_BYTES:,} bytes; not a result of `runoff run --json`")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise bad("", f"not JSON ({err}); give the output of `runoff run --json`") from None
    rec = data.get("reproduce") if isinstance(data, dict) else None
    if not isinstance(rec, dict):
        raise bad("reproduce", "missing: this is not the JSON of `runoff run --json` (runoff-abm 0.2 or later)")
    if rec.get("format") != RECORD_FORMAT:
        raise bad("reproduce.format", f"{rec.get('format')!r} is not a record format this version reads "
                  f"(allowed: {RECORD_FORMAT})")
    for key, kind in (("scenario", dict), ("overrides", dict), ("rules", list), ("engine", str)):
        if not isinstance(rec.get(key), kind):
            raise bad(f"reproduce.{key}", f"expected {'an object' if kind is dict else 'a list' if kind is list else 'a string'}")
    scn = parse_scenario(rec["scenario"], source=f"{src} (reproduce.scenario)")
    seed = parse_seed(rec.get("seed"), f"{src}: reproduce.seed")
    members = None if rec.get("members") is None else parse_members(rec["members"], f"{src}: reproduce.members")
    if rec["engine"] not in ENGINES:
        raise bad("reproduce.engine", f"{rec['engine']!r}; allowed: {', '.join(ENGINES)}")
    try:
        Params.from_mapping(rec["overrides"])
    except ParameterError as err:
        raise bad(f"reproduce.overrides.{err.name}", err.message) from None
    replicates = rec.get("replicates")
    if replicates is not None and (not isinstance(replicates, int) or isinstance(replicates, bool) or replicates < 2):
        raise bad("reproduce.replicates", f"{replicates!r}; expected null or a whole number >= 2")
    rules: dict[str, str] = {}
    for i, r in enumerate(rec["rules"]):
        if not (isinstance(r, dict) and isinstance(r.get("name"), str) and isinstance(r.get("function"), str)
                and (isinstance(r.get("path"), str) or isinstance(r.get("module"), str))):
            raise bad(f"reproduce.rules[{i}]", "expected {name, function, module, path, sha256}")
        rules[r["name"]] = rule_spec(r)
    if rules and not args.trust_rules:
        listed = "; ".join(describe_rule(r) + (f" at {r['path']}" if r.get("path") else "") for r in rec["rules"])
        raise bad("reproduce.rules", f"this run used plug-in rules, which are Python code ({listed}); read them, "
                  "then rerun with --trust-rules to run them")
    for i, r in enumerate(rec["rules"]):
        path = r.get("path")
        if path is None:
            continue
        now = sha256_file(path)
        if now is None:
            raise bad(f"reproduce.rules[{i}]", f"rule file {path!r} is missing; the run cannot be reproduced "
                      "without the code it ran")
        if r.get("sha256") != now:
            raise bad(f"reproduce.rules[{i}]", f"rule file {path!r} changed since the run (sha256 recorded "
                      f"{str(r.get('sha256'))[:12]}, now {now[:12]}); the result would not be the same")
    return _execute(args, scn, seed=seed, members=members, engine=rec["engine"], overrides=dict(rec["overrides"]),
                    rules=rules, replicates=replicates)


def cmd_scenarios(args) -> int:
    from runoff_abm.model.scenario import builtin_names, load_scenario

    names = builtin_names()
    pad = max(len(n) for n in names) + 2
    for name in names:
        scn = load_scenario(name)
        line = f"{name:<{pad}}{' '.join(scn.title.split())}"  # one line each (cut to the width: see describe)
        width = _width(args)
        print(line if width is None or len(line) <= width else line[:width - 3].rstrip() + "...")
    return 0


def cmd_describe(args) -> int:
    from runoff_abm.model.params import Params
    from runoff_abm.model.population import scaled_counts, sector_table
    from runoff_abm.model.scenario import load_scenario

    width = _width(args)
    scn = load_scenario(args.scenario)
    out = [f"{scn.name}: {scn.title}", f"file: {scn.path}", ""]
    if scn.description:
        out += wrap(scn.description, width) + [""]
    out += wrap(f"roll {scn.roll:,} | runoff on day {scn.election_day} (round 1 = day 0) | "
                f"finalists {scn.finalists[0]} (A) and {scn.finalists[1]} (B)", width)
    out.append("")
    ballots = scn.round1_ballots
    out.append(f"Round 1 (shares of all {ballots:,} ballots, blank included)")
    rows = [[c.name, f"{c.votes:,}", f"{c.votes / ballots:.1%}", "finalist" if c.finalist else "eliminated",
             f"{c.activists:,}"] for c in scn.candidates]
    rows.append(["blank", f"{scn.blank:,}", f"{scn.blank / ballots:.1%}", "", ""])
    rows.append(["abstained", f"{scn.abstained:,}", "", f"turnout {ballots / scn.roll:.1%}", ""])
    out += fit_table(["", "votes", "share", "", "activists"], rows, width=width, left=(0, 3))
    if scn.sectors:
        counts = scaled_counts(scn, scn.roll)
        sizes, table = sector_table(scn, counts, scn.roll)
        out += ["", "Sectors (round-1 table fitted to the official totals)"]
        rows = [[s.name, f"{size:,}", f"{1 - row[-1] / size:.1%}", f"{s.lean:.2f}"]
                for s, size, row in zip(scn.sectors, sizes, table, strict=True)]
        out += fit_table(["", "members", "round-1 turnout", f"leaning to {scn.finalists[0]}"], rows, width=width)
    if scn.contractors:
        out += ["", "Contractors"]
        p = Params.from_mapping(scn.parameters)
        rows = []
        for c in scn.contractors:
            comp = c.compliance if c.compliance is not None else p.contractor_compliance
            rows.append([c.name, c.patron, f"{c.bloc:,}", c.sector or "-", f"{comp:.2f}"])
        out += fit_table(["", "patron", "bloc", "sector", "compliance"], rows, width=width, left=(0, 1, 3))
    if scn.institutions:
        out += ["", "Institutions"]
        for i in scn.institutions:
            out += wrap(f"{i.name} reaches {i.reach:.0%} of {', '.join(i.sectors) or 'the roll'}", width, indent="  ",
                        subsequent="    ")
    out += ["", "Event timeline"]
    if not scn.events:
        out.append("  (no events)")
    for ev in scn.events:
        head = f"  day {ev.day}: "
        out += wrap(ev.describe(), width, indent=head, subsequent=" " * len(head))
        if ev.note:
            out += wrap(ev.note, width, indent=" " * len(head))
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
    width = _width(args)
    group = None
    for s in PARAM_SPECS:
        if s.group != group:
            group = s.group
            print(f"\n[{group}]")
        print(f"  {s.name:<28}{s.default!s:>7}  [{s.low}, {s.high}] {s.unit}")
        print("\n".join(wrap(s.meaning, width, indent=" " * 30)))
    return 0


def cmd_sweep(args) -> int:
    executor = _executor(args)  # first: a bad --scheduler is reported within 5 s
    from runoff_abm.studies.spec import load_spec
    from runoff_abm.studies.sweep import run_sweep

    chunk = None if args.chunk is None else parse_count(args.chunk, "--chunk", 1, 100_000, "runs")
    spec = load_spec(args.spec, trust_code=args.trust_code, trust_rules=args.trust_rules)
    summary = run_sweep(spec, args.out, chunk=chunk, progress=not args.quiet, **executor)
    print(summary.line(_width(args)))
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

    from runoff_abm.studies.analysis import analyze, plot_summary

    store = _sweep_store(args.dir)
    result = analyze(args.dir, args.outcome)
    print(result.format(_width(args)))
    if not args.no_plots:
        paths = plot_summary(result.table, store.manifest(), Path(args.dir) / "plots", args.outcome)
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
        print("\n" + "\n".join(wrap(f"wrote {', '.join(str(p) for p in paths)}", _width(args))))
    return 0


def _executor(args) -> dict:
    """Executor keyword arguments from --serial / --workers / --scheduler / --local-cluster."""
    workers = parse_workers(args.workers)
    local = None if args.local_cluster is None else parse_count(args.local_cluster, "--local-cluster", 1,
                                                                 MAX_WORKERS, "workers")
    if args.serial:
        return {"executor": "serial"}
    if args.scheduler:  # fail fast, before loading anything: a real handshake within 5 s
        from runoff_abm.studies.dask_check import check_scheduler

        check_scheduler(args.scheduler)
    if args.scheduler or local:
        return {"executor": "dask", "scheduler": args.scheduler, "local_cluster": local}
    return {"executor": "processes", "workers": workers}


def cmd_calibrate(args) -> int:
    executor = _executor(args)
    from runoff_abm.model.scenario import load_scenario
    from runoff_abm.studies.calibrate import calibrate

    scn = load_scenario(args.scenario)
    if args.method == "smc" and executor.get("executor") == "dask":
        from runoff_abm.studies.sweep import SweepError

        raise SweepError("--method smc runs on local worker processes (--workers N or --serial); Dask is for "
                         "--method reject")
    cal = calibrate(scn, args.out, prior=args.prior, draws=parse_count(args.draws, "--draws", 20, 1_000_000, "draws"),
                    accept=parse_fraction(args.accept, "--accept"),
                    members=parse_members(args.members, "--members"), seed=parse_seed(args.seed, "--seed"),
                    progress=not args.quiet, trust_rules=args.trust_rules,
                    predictive=parse_count(args.predictive, "--predictive", 0, 1_000_000, "runs"),
                    method=args.method, population=parse_count(args.population, "--population", 10, 100_000, "particles"),
                    generations=parse_count(args.generations, "--generations", 1, 50, "generations"), **executor)
    print(cal.report(_width(args)))
    print("\n" + "\n".join(wrap(f"wrote {args.out}/posterior.parquet, calibrated.toml, report.txt (wide tables) "
                                 "and plots/", _width(args))))
    return 0


def cmd_predict(args) -> int:
    executor = _executor(args)
    from runoff_abm.studies.predict import predict

    members = None if args.members is None else parse_members(args.members, "--members")
    pred = predict(args.scenario, posterior=args.posterior,
                   replicates=parse_count(args.replicates, "--replicates", 1, 1_000_000, "runs"), members=members,
                   seed=parse_seed(args.seed, "--seed"), trust_rules=args.trust_rules, progress=not args.quiet,
                   structural=not args.no_structural, versus=args.versus, **executor)
    if args.runs:
        pred.runs.to_csv(args.runs, index=False)
    if args.json:
        print(json.dumps(pred.table(), default=float))
    else:
        print(pred.format(_width(args)))
        if args.runs:
            print("\n".join(wrap(f"wrote every run's parameters (posterior and structural draws) and outcomes to "
                                  f"{args.runs}", _width(args))))
    return 0


def cmd_backtest(args) -> int:
    executor = _executor(args)
    from runoff_abm.studies.backtest import backtest

    bt = backtest(args.dir, out=args.out, replicates=parse_count(args.replicates, "--replicates", 2, 100_000, "runs"),
                  members=parse_members(args.members, "--members"), seed=parse_seed(args.seed, "--seed"),
                  progress=not args.quiet, structural=not args.no_structural, **executor)
    print(bt.format(_width(args)))
    return 0


def cmd_validate(args) -> int:
    from pathlib import Path

    from runoff_abm.studies.validate import format_checks, markdown, run_all, run_alternatives

    checks = run_all(quick=args.quick, progress=not args.quiet)
    print(format_checks(checks, _width(args)))
    if args.out:
        alternatives = run_alternatives(quick=args.quick, progress=not args.quiet)
        Path(args.out).write_text(markdown(checks, args.quick, alternatives))
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


def _add_quiet(p) -> None:
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar (it is shown only when stderr is a terminal anyway)")


def _add_wide(p) -> None:
    p.add_argument("--wide", action="store_true", help="one wide table instead of fitting 100 columns")


def _add_run_options(p) -> None:
    """Output and replicate options shared by ``run`` and ``rerun``."""
    p.add_argument("--workers", type=int, default=None, help="with replicates: worker processes (default: all cores)")
    p.add_argument("--serial", action="store_true", help="with replicates: run them in this process")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (with a `reproduce` record that `runoff rerun` reads)")
    p.add_argument("--compact", action="store_true", help="with --json: on one line")
    _add_quiet(p)
    _add_wide(p)


def build_parser() -> argparse.ArgumentParser:
    """The ``runoff`` command's parser: one subcommand per job, options from the declarations."""
    from runoff_abm import __version__

    parser = OneLineParser(prog="runoff", description="Agent-based model of a party-leadership runoff.")
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
    p.add_argument("--replicates", type=int, default=None, metavar="N",
                   help="also run N replicates (independent seeds from --seed) on all cores and show the spread: "
                        "median, 90%% interval, P(win)")
    _add_run_options(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("rerun", help="run again a result recorded by `runoff run --json` (same output, byte for byte)")
    p.add_argument("file", help="the JSON written by `runoff run --json` (- for stdin)")
    p.add_argument("--trust-rules", action="store_true",
                   help="run the plug-in rule files the record names (Python code; checked against their sha256)")
    _add_run_options(p)
    p.set_defaults(func=cmd_rerun)

    p = sub.add_parser("scenarios", help="list the built-in scenarios")
    _add_wide(p)
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("describe", help="show a scenario and its event timeline")
    p.add_argument("scenario", help="built-in name or path to a .toml file")
    _add_wide(p)
    p.set_defaults(func=cmd_describe)

    p = sub.add_parser("sweep", help="run a parameter study (sweep spec TOML) into a results directory")
    p.add_argument("spec", help="sweep spec (.toml), see docs/studies.md")
    p.add_argument("--out", required=True, help="results directory (resumed if it holds this spec's sweep)")
    _add_executor_options(p)
    p.add_argument("--chunk", default=None, help="runs per task (default: automatic)")
    _add_trust_rules(p)
    p.add_argument("--trust-code", action="store_true",
                   help="run the spec's run_function (code the spec names); only for specs you wrote")
    _add_quiet(p)
    _add_wide(p)
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("analyze", help="per-design-point means, CIs and win probabilities of a sweep; plots")
    p.add_argument("dir", help="a sweep's results directory")
    p.add_argument("--outcome", action="append", help="outcome column (repeatable; default: the spec's)")
    p.add_argument("--no-plots", action="store_true")
    _add_wide(p)
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("sensitivity", help="Morris or Sobol indices of a sweep (SALib); bar chart")
    p.add_argument("dir", help="a sweep's results directory (morris or sobol design)")
    p.add_argument("--outcome", action="append", help="outcome column (repeatable; default: the spec's)")
    p.add_argument("--no-plots", action="store_true")
    _add_wide(p)
    p.set_defaults(func=cmd_sensitivity)

    p = sub.add_parser("calibrate", help="ABC calibration of behavioural parameters against the observed runoff")
    p.add_argument("--method", choices=("smc", "reject"), default="smc",
                   help="smc: ABC-SMC with an adaptive distance on every target statistic (default); reject: ABC "
                        "rejection on share and turnout (the teaching baseline)")
    p.add_argument("--population", default="200", help="smc: particles per generation (default 200)")
    p.add_argument("--generations", default="6", help="smc: generations of 2 x population runs (default 6)")
    p.add_argument("scenario", help="built-in name or path to a .toml file with an [observed] result")
    p.add_argument("--out", required=True, help="output directory (the prior-predictive sweep resumes there)")
    p.add_argument("--prior", default=None, help="prior ranges (TOML [parameters] with { low, high }); "
                   "default scenarios/calibration/prior.toml")
    p.add_argument("--draws", default="2000", help="reject: prior draws (default 2000)")
    p.add_argument("--accept", default="0.05", help="reject: fraction of draws accepted (default 0.05)")
    p.add_argument("--members", default="10000", help="members per run (default 10000)")
    p.add_argument("--seed", default="1", help="master seed (default 1)")
    p.add_argument("--predictive", default="200", help="posterior-predictive runs (default 200)")
    _add_trust_rules(p)
    _add_quiet(p)
    _add_wide(p)
    _add_executor_options(p)
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("predict", help="win probabilities and intervals for a runoff from its first round")
    p.add_argument("scenario", help="built-in name or path to a .toml file")
    p.add_argument("--posterior", default=None, help="posterior.parquet or a `runoff calibrate` directory")
    p.add_argument("--replicates", default="200", help="runs (default 200)")
    _add_trust_rules(p)
    p.add_argument("--members", default=None, help="members per run (default: the roll)")
    p.add_argument("--seed", default="0", help="master seed (default 0)")
    p.add_argument("--versus", default=None, metavar="SCENARIO",
                   help="a counterfactual (same round 1): paired differences over the same draws and seeds")
    p.add_argument("--runs", default=None, metavar="FILE.csv",
                   help="write every run's parameter values (the draws) and outcomes as CSV")
    p.add_argument("--no-structural", action="store_true",
                   help="leave out the structural prior (seed noise and the posterior only)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _add_quiet(p)
    _add_wide(p)
    _add_executor_options(p)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("backtest", help="predict every real contest in a folder leave-one-out; scores and baselines")
    p.add_argument("dir", nargs="?", default=None,
                   help="folder of scenario files with [observed] results (default: the shipped contests)")
    p.add_argument("--out", default="backtest", help="output folder for the CSV, Parquet and PNG (default backtest)")
    p.add_argument("--replicates", default="100", help="runs per contest (default 100)")
    p.add_argument("--members", default="3000", help="members per run (default 3000)")
    p.add_argument("--seed", default="0", help="master seed (default 0)")
    p.add_argument("--no-structural", action="store_true", help="score seed noise alone (no structural prior)")
    _add_quiet(p)
    _add_wide(p)
    _add_executor_options(p)
    p.set_defaults(func=cmd_backtest)

    p = sub.add_parser("validate", help="run the validation pattern suite and print the table")
    p.add_argument("--quick", action="store_true", help="fewer seeds and members")
    p.add_argument("--out", default=None, help="also write the table as Markdown (e.g. docs/validation.md)")
    _add_quiet(p)
    _add_wide(p)
    p.set_defaults(func=cmd_validate)

    from runoff_abm.viz.cli import add_viz_parser

    add_viz_parser(sub)

    p = sub.add_parser("params", help="list the model parameters with defaults, ranges and meanings")
    p.add_argument("--markdown", action="store_true", help="as a Markdown table (for docs/ODD.md)")
    _add_wide(p)
    p.set_defaults(func=cmd_params)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``runoff`` command with ``argv``; return its exit code (2 for bad input, one line)."""
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
