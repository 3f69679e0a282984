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
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from runoff_abm.model.errors import ParameterError, ScenarioError, SpecError
from runoff_abm.model.events import parse_event
from runoff_abm.model.params import param_spec
from runoff_abm.model.rng import replicate_seeds
from runoff_abm.model.scenario import Scenario, TableReader, load_scenario

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
        points = []
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


def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate a sweep spec file. Raises SpecError."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise SpecError(str(path), "", f"cannot read the sweep spec ({err.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise SpecError(str(path), "", f"TOML syntax error: {err}") from None
    return parse_spec(data, source=str(path))


def parse_spec(data: dict[str, Any], source: str = "<memory>", scenario: Scenario | None = None) -> SweepSpec:
    """Validate a parsed sweep spec and build a :class:`SweepSpec`.

    Args:
        data: the parsed TOML.
        source: its file name (for messages and relative scenario paths).
        scenario: a Scenario object to use instead of looking up ``data["scenario"]`` (which then
            only names it), e.g. for generated scenarios.
    """
    top = _SpecReader(data, "", source, _TOP)
    name = top.str("name", required=True)
    scn_ref = top.str("scenario", required=True)
    base = Path(source).parent / scn_ref
    if scenario is None:
        try:
            scenario = load_scenario(base if (base.suffix == ".toml" and base.exists()) else scn_ref)
        except ScenarioError as err:
            raise SpecError(source, "scenario", f"cannot use scenario {scn_ref!r}: {err}") from None
    members = top.int("members", default=None, low=2)
    replicates = top.int("replicates", default=1, low=1, high=1_000_000)
    seed = top.int("seed", required=True, low=0)

    dz = _SpecReader(top.table_of("design"), "design", source,
                 {"kind": "", "samples": "", "levels": "", "second_order": ""})
    kind = dz.str("kind", default="factorial", choices=list(DESIGNS))
    samples = dz.int("samples", default=0, low=0)
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
        fr = _SpecReader(ftab, f"factors.{fname}", source, {"remove": "", "levels": ""})
        remove = tuple(fr.list("remove"))
        levels_tab = fr.table_of("levels")
        if not levels_tab:
            fr.fail("levels", "a factor needs at least one level: [factors.NAME.levels] level = [events]")
        lv = {}
        for lname, evs in levels_tab.items():
            if not isinstance(evs, list):
                raise SpecError(source, f"factors.{fname}.levels.{lname}", "expected a list of event tables")
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

    outcomes = tuple(top.list("outcomes", default=OUTCOMES_DEFAULT))
    run_function = top.str("run_function", default=None)
    if run_function is not None and ":" not in run_function:
        top.fail("run_function", "expected 'module:function'")
    spec = SweepSpec(
        name=name, scenario=scenario, members=members, replicates=replicates, seed=seed,
        design_kind=kind, values=values, ranges=ranges, fixed=fixed, factors=tuple(factors),
        samples=samples, levels=levels, second_order=second_order, outcomes=outcomes,
        run_function=run_function, common_random_numbers=top.bool("common_random_numbers", default=True),
        description=top.str("description", default=""), raw=data, path=source)
    for lv in itertools.product(*(list(f.levels) for f in factors)):
        point = DesignPoint(point=0, params={}, levels=dict(zip([f.name for f in factors], lv, strict=True)))
        try:
            spec.scenario_for(point)
        except ScenarioError as err:
            raise SpecError(source, "factors", f"levels {point.levels} give an invalid event list: "
                            f"{err.field}: {err.message}") from None
    if kind == "sobol" and samples & (samples - 1):
        dz.fail("samples", f"{samples} is not a power of 2; Sobol sequences need N = 2^k (e.g. "
                f"{2 ** max(1, round(math.log2(max(samples, 1))))})")
    return spec
