"""Sweep specifications: an experiment as data, and its design.

A sweep spec (TOML, format in ``docs/studies.md``) names a base scenario, the parameters to vary
(value lists for a full factorial; ranges for Latin hypercube, Morris or Sobol designs drawn by
SALib), event factors (alternative event lists, e.g. Herzog neutral / endorses Y / endorses P),
replicates per design point and a master seed. :func:`load_spec` validates it (errors name the
file, the field and what is allowed) and :meth:`SweepSpec.design` expands it into design points.

Replicate seeds come from ``numpy.random.SeedSequence(master).spawn`` and are shared across
design points (common random numbers): replicate r uses the same seed at every point.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from runoff_abm.model.errors import ParameterError, ScenarioError, SpecError, clean_text
from runoff_abm.model.events import parse_event
from runoff_abm.model.inputs import MAX_MEMBERS, MAX_SEED, MIN_MEMBERS
from runoff_abm.model.limits import DEFAULT_LIMITS
from runoff_abm.model.params import param_spec
from runoff_abm.model.rng import replicate_seeds
from runoff_abm.model.scenario import (
    FileProblem,
    Scenario,
    TableReader,
    load_scenario,
    parse_toml_bytes,
    read_regular_file,
)

__all__ = ["SpecError", "SweepSpec", "Factor", "DesignPoint", "load_spec", "parse_spec", "DESIGNS"]

DESIGNS = ("factorial", "lhs", "morris", "sobol")
OUTCOMES_DEFAULT = ("share_a", "turnout", "margin", "a_wins")


class _SpecReader(TableReader):
    error = SpecError


@dataclass(frozen=True)
class Factor:
    """An event factor: base events of ``remove`` are dropped, then each level's events added."""

    name: str
    remove: tuple[str, ...]
    levels: dict[str, tuple]  # level name -> tuple of event dataclasses


@dataclass(frozen=True)
class DesignPoint:
    """One point of the design: parameter values and factor levels."""

    point: int
    params: dict[str, float | int]
    levels: dict[str, str]


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep spec."""

    name: str
    scenario: Scenario
    members: int | None
    replicates: int
    seed: int
    design_kind: str
    values: dict[str, tuple]              # factorial: parameter -> values
    ranges: dict[str, tuple[float, float]]  # lhs/morris/sobol: parameter -> (low, high)
    fixed: dict[str, float | int]
    factors: tuple[Factor, ...]
    samples: int = 0
    levels: int = 4
    second_order: bool = False
    outcomes: tuple[str, ...] = OUTCOMES_DEFAULT
    run_function: str | None = None
    common_random_numbers: bool = True
    description: str = ""
    raw: dict[str, Any] = field(default_factory=dict)
    path: str = "<memory>"
    trust_rules: bool = False  # run the scenario file's own [rules] (``--trust-rules``)

    @property
    def hash(self) -> str:
        """Content hash of the spec and its resolved base scenario (identifies a sweep)."""
        blob = json.dumps({"spec": self.raw, "scenario": repr(self.scenario)}, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def problem(self) -> dict:
        """The SALib problem dict of the ranged parameters."""
        names = list(self.ranges)
        return {"num_vars": len(names), "names": names, "bounds": [list(self.ranges[n]) for n in names]}

    def sample_matrix(self) -> np.ndarray:
        """The SALib sample matrix (rows = points before crossing with factors)."""
        from SALib.sample import latin, morris, sobol

        prob = self.problem()
        if self.design_kind == "lhs":
            return latin.sample(prob, self.samples, seed=self.seed)
        if self.design_kind == "morris":
            return morris.sample(prob, self.samples, num_levels=self.levels, seed=self.seed)
        return sobol.sample(prob, self.samples, calc_second_order=self.second_order, seed=self.seed)

    def design(self) -> list[DesignPoint]:
        """All design points, in a fixed order (ids 0..P-1)."""
        if self.design_kind == "factorial":
            names = list(self.values)
            combos = [dict(zip(names, vals, strict=True)) for vals in itertools.product(*(self.values[n] for n in names))]
        else:
            x = self.sample_matrix()
            names = list(self.ranges)
            combos = [{n: _cast(n, float(v)) for n, v in zip(names, row, strict=True)} for row in x]
        level_sets = [dict(zip([f.name for f in self.factors], lv, strict=True))
                      for lv in itertools.product(*(list(f.levels) for f in self.factors))]
        points: list[DesignPoint] = []
        for combo in combos:
            for lv in level_sets:
                points.append(DesignPoint(point=len(points), params={**self.fixed, **combo}, levels=lv))
        return points

    def replicate_seeds(self) -> list[int]:
        """Seeds of the replicates, shared by every design point (common random numbers)."""
        return replicate_seeds(self.seed, self.replicates)

    def scenario_for(self, point: DesignPoint) -> Scenario:
        """The base scenario with the point's factor levels applied to its events."""
        scn = self.scenario
        for f in self.factors:
            kept = [e for e in scn.events if not _involves(e, f.remove)]
            scn = scn.with_events(kept + list(f.levels[point.levels[f.name]]))
        return scn

    @property
    def varied(self) -> list[str]:
        """Names of the varied parameters and factors (columns that define a point)."""
        return list(self.values or self.ranges) + [f"factor.{f.name}" for f in self.factors]


def _check_label(reader: TableReader, key: str, label: str, what: str) -> None:
    """A factor or level name: printable, non-empty, at most 80 characters (it names columns)."""
    if not label or not label.isprintable() or len(label) > 80:
        reader.fail(key, f"{clean_text(label)} is not allowed as a {what} name; allowed: printable text of "
                    "1 to 80 characters")


def _design_size(kind: str, values: dict, ranges: dict, samples: int, second_order: bool, factors: list) -> int:
    """Design points the spec expands to (computed without expanding it)."""
    if kind == "factorial":
        n = math.prod(len(v) for v in values.values())
    elif kind == "lhs":
        n = samples
    elif kind == "morris":
        n = samples * (len(ranges) + 1)
    else:
        n = samples * (2 * len(ranges) + 2 if second_order else len(ranges) + 2)
    for f in factors:
        n *= len(f.levels)
    return n


def _involves(event, names: tuple[str, ...]) -> bool:
    for attr in ("by", "source", "patron", "contractor"):
        if getattr(event, attr, None) in names:
            return True
    return False


def _cast(name: str, value: float):
    spec = param_spec(name)
    return int(round(value)) if spec.type is int else value


_TOP = {"name": "", "description": "", "scenario": "", "members": "", "replicates": "", "seed": "",
        "design": "", "parameters": "", "fixed": "", "factors": "", "outcomes": "", "run_function": "",
        "common_random_numbers": ""}


#: The most runs one sweep spec may ask for (design points x replicates).
MAX_RUNS = 1_000_000


def load_spec(path: str | Path, *, trust_code: bool = False, trust_rules: bool = False) -> SweepSpec:
    """Read and validate a sweep spec file (a regular file within the scenario limits).

    Args:
        path: the spec file.
        trust_code: accept the spec's ``run_function`` (code it names; ``--trust-code``).
        trust_rules: accept (and run) the scenario's own ``[rules]`` (``--trust-rules``).

    Raises:
        SpecError: naming the file, the field and what is allowed.
    """
    path = Path(path)
    try:
        raw = read_regular_file(path, DEFAULT_LIMITS.max_file_bytes)
    except FileProblem as err:
        raise SpecError(str(path), "", f"{err}; give a sweep spec (.toml)") from None
    data = parse_toml_bytes(raw, str(path), DEFAULT_LIMITS, SpecError)
    return parse_spec(data, source=str(path), trust_code=trust_code, trust_rules=trust_rules)


def parse_spec(data: dict[str, Any], source: str = "<memory>", scenario: Scenario | None = None, *,
               trust_code: bool = False, trust_rules: bool = False) -> SweepSpec:
    """Validate a parsed sweep spec and build a :class:`SweepSpec`.

    Args:
        data: the parsed TOML.
        source: its file name (for messages and relative scenario paths).
        scenario: a Scenario object to use instead of looking up ``data["scenario"]`` (which then
            only names it), e.g. for generated scenarios.
        trust_code: accept ``run_function`` (``module:function``, imported and run by every
            worker): only for specs you wrote (``runoff sweep SPEC --trust-code``).
        trust_rules: the scenario's own ``[rules]`` may run (``--trust-rules``).
    """
    top = _SpecReader(data, "", source, _TOP)
    name = top.name("name", "sweep", DEFAULT_LIMITS.max_name_length, reserved=False)
    scn_ref = top.str("scenario", required=True)
    base = Path(source).parent / scn_ref
    if scenario is None:
        try:
            scenario = load_scenario(base if (base.suffix == ".toml" and os.path.lexists(base)) else scn_ref)
        except ScenarioError as err:
            raise SpecError(source, "scenario", f"cannot use scenario {clean_text(scn_ref)}: {err}") from None
    if scenario.rules and not trust_rules:
        top.fail("scenario", f"{clean_text(scn_ref)} names plug-in rules ([rules]); they run code, so a sweep runs "
                 "them only if you trust the file: runoff sweep SPEC --trust-rules (Python: trust_rules=True)")
    members = top.int("members", default=None, low=MIN_MEMBERS, high=MAX_MEMBERS)
    replicates = top.int("replicates", default=1, low=1, high=1_000_000)
    seed = top.int("seed", required=True, low=0, high=MAX_SEED)

    dz = _SpecReader(top.table_of("design"), "design", source,
                 {"kind": "", "samples": "", "levels": "", "second_order": ""})
    kind = dz.str("kind", default="factorial", choices=list(DESIGNS))
    samples = dz.int("samples", default=0, low=0, high=MAX_RUNS)
    levels = dz.int("levels", default=4, low=2, high=100)
    second_order = dz.bool("second_order", default=False)
    if kind != "factorial" and samples < 1:
        dz.fail("samples", f"a {kind} design needs samples >= 1 (lhs: points; morris: trajectories; "
                "sobol: base samples N)")
    if kind == "factorial" and dz.has("samples"):
        dz.fail("samples", "only for lhs, morris and sobol designs")

    params = top.table_of("parameters")
    values: dict[str, tuple] = {}
    ranges: dict[str, tuple[float, float]] = {}
    for pname, v in params.items():
        where = f"parameters.{pname}"
        try:
            spec = param_spec(pname)
        except ParameterError as err:
            raise SpecError(source, where, err.message) from None
        if isinstance(v, list):
            if kind != "factorial":
                raise SpecError(source, where, f"a {kind} design samples ranges: give "
                                f"{{ low = ..., high = ... }} within [{spec.low}, {spec.high}]")
            if not v:
                raise SpecError(source, where, "empty list of values: the design would be empty")
            checked = []
            for k, x in enumerate(v):
                try:
                    checked.append(spec.check(x))
                except ParameterError as err:
                    raise SpecError(source, f"{where}[{k}]", err.message) from None
            if len(set(checked)) != len(checked):
                raise SpecError(source, where, "values repeat; list each value once")
            values[pname] = tuple(checked)
        elif isinstance(v, dict):
            if kind == "factorial":
                raise SpecError(source, where, "a factorial design takes a list of values; ranges "
                                "{ low, high } are for lhs, morris and sobol designs")
            r = _SpecReader(v, where, source, {"low": "", "high": ""})
            lo = r.float("low", required=True)
            hi = r.float("high", required=True)
            for key, x in (("low", lo), ("high", hi)):
                try:
                    spec.check(int(x) if spec.type is int and float(x).is_integer() else x)
                except ParameterError as err:
                    r.fail(key, err.message)
            if not lo < hi:
                r.fail("high", f"must be greater than low ({lo:g})")
            ranges[pname] = (lo, hi)
        else:
            raise SpecError(source, where, "expected a list of values (factorial) or a table "
                            "{ low = ..., high = ... } (lhs, morris, sobol)")
    fixed = {}
    for pname, v in top.table_of("fixed").items():
        try:
            fixed[pname] = param_spec(pname).check(v)
        except ParameterError as err:
            raise SpecError(source, f"fixed.{pname}", err.message) from None
        if pname in params:
            raise SpecError(source, f"fixed.{pname}", "is also varied in [parameters]; keep one")

    factors = []
    for fname, ftab in top.table_of("factors").items():
        _check_label(top, f"factors.{fname}", fname, "factor")
        fr = _SpecReader(ftab, f"factors.{fname}", source, {"remove": "", "levels": ""})
        remove = tuple(fr.list("remove", most=DEFAULT_LIMITS.max_events))
        for i, x in enumerate(remove):
            if not isinstance(x, str):
                fr.fail(f"remove[{i}]", f"expected a name, got {clean_text(x)}")
        levels_tab = fr.table_of("levels")
        if not levels_tab:
            fr.fail("levels", "a factor needs at least one level: [factors.NAME.levels] level = [events]")
        lv = {}
        for lname, evs in levels_tab.items():
            _check_label(fr, f"levels.{lname}", lname, "level")
            if not isinstance(evs, list):
                raise SpecError(source, f"factors.{fname}.levels.{lname}", "expected a list of event tables")
            if len(evs) > DEFAULT_LIMITS.max_events:
                raise SpecError(source, f"factors.{fname}.levels.{lname}",
                                f"{len(evs):,} events; at most {DEFAULT_LIMITS.max_events:,}")
            parsed = []
            for i, e in enumerate(evs):
                try:
                    parsed.append(parse_event(e, scenario, f"factors.{fname}.levels.{lname}[{i}]", source))
                except ScenarioError as err:
                    raise SpecError(source, err.field, err.message) from None
            lv[lname] = tuple(parsed)
        factors.append(Factor(name=fname, remove=remove, levels=lv))
    if kind in ("morris", "sobol") and factors:
        top.fail("factors", f"a {kind} design cannot cross event factors (its indices need one "
                 "sample matrix); run one spec per level, or use a factorial or lhs design")
    if kind != "factorial" and not ranges:
        top.fail("parameters", f"a {kind} design needs at least one parameter range {{ low, high }}")
    if kind == "factorial" and not values and not factors:
        top.fail("parameters", "empty design: vary at least one parameter (a list of values) or one factor")

    outcomes = tuple(top.list("outcomes", default=OUTCOMES_DEFAULT, most=1000))
    for i, o in enumerate(outcomes):
        if not isinstance(o, str) or not o or not o.isprintable() or len(o) > 200:
            top.fail(f"outcomes[{i}]", f"expected an outcome column name, got {clean_text(o)}")
    run_function = top.str("run_function", default=None)
    if run_function is not None:
        module, colon, func = run_function.partition(":")
        if not colon or not func.isidentifier() or not all(p.isidentifier() for p in module.split(".")):
            top.fail("run_function", f"expected 'module:function', got {clean_text(run_function)}")
        if not trust_code:
            top.fail("run_function", f"{clean_text(run_function)} names code that every worker would import and run; "
                     "a spec's run_function runs only if you trust the spec: runoff sweep SPEC --trust-code "
                     "(Python: trust_code=True)")
    n_points = _design_size(kind, values, ranges, samples, second_order, factors)
    if n_points * replicates > MAX_RUNS:
        top.fail("replicates", f"the design has {n_points:,} points x {replicates:,} replicates = "
                 f"{n_points * replicates:,} runs; at most {MAX_RUNS:,} runs per sweep")
    sweep = SweepSpec(
        name=name, scenario=scenario, members=members, replicates=replicates, seed=seed,
        design_kind=kind, values=values, ranges=ranges, fixed=fixed, factors=tuple(factors),
        samples=samples, levels=levels, second_order=second_order, outcomes=outcomes,
        run_function=run_function, common_random_numbers=top.bool("common_random_numbers", default=True),
        description=top.str("description", default="", multiline=True), raw=data, path=source,
        trust_rules=trust_rules)
    for combo in itertools.product(*(list(f.levels) for f in factors)):
        point = DesignPoint(point=0, params={}, levels=dict(zip([f.name for f in factors], combo, strict=True)))
        try:
            sweep.scenario_for(point)
        except ScenarioError as err:
            raise SpecError(source, "factors", f"levels {point.levels} give an invalid event list: "
                            f"{err.field}: {err.message}") from None
    if kind == "sobol" and samples & (samples - 1):
        dz.fail("samples", f"{samples} is not a power of 2; Sobol sequences need N = 2^k (e.g. "
                f"{2 ** max(1, round(math.log2(max(samples, 1))))})")
    return sweep
