"""Parameter controls derived from ``runoff_abm.PARAM_SPECS`` (the one parameter definition).

Nothing here re-types a parameter: every control's name, plain label, kind (int or float
slider), range, unit, meaning, group, level (basic ones shown first, advanced ones folded) and
tooltip come from a :class:`~runoff_abm.model.params.ParamSpec`. This module only adds what a
slider needs beyond the spec — a step that lands exactly on the default — and turns typed text
into a checked value with the model's own :func:`~runoff_abm.model.params.parse_value`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from runoff_abm.model.params import PARAM_SPECS, ParamSpec, parse_value

__all__ = ["ParamControl", "param_controls", "controls_by_group", "controls_by_level", "slider_step", "tooltip",
           "parse_text", "format_value"]


@dataclass(frozen=True)
class ParamControl:
    """What the app shows for one parameter: its spec plus the slider's step.

    Attributes:
        spec: the parameter's :class:`ParamSpec` (name, type, default, range, unit, meaning, group).
        step: slider step (1 for integers; a 1-2-5 step that hits the default for floats).
    """

    spec: ParamSpec
    step: float | int

    @property
    def name(self) -> str:
        """The parameter's name."""
        return self.spec.name

    @property
    def is_int(self) -> bool:
        """Whether the parameter takes whole numbers."""
        return self.spec.type is int

    @property
    def decimals(self) -> int:
        """Decimals needed to show a value on this slider's grid."""
        if self.is_int:
            return 0
        return max(0, -math.floor(math.log10(self.step) + 1e-9))


def slider_step(spec: ParamSpec, ticks: int = 100) -> float | int:
    """A slider step for ``spec``: 1 for integers; for floats the largest 1-2-5 step of at most
    ``(high - low) / ticks`` on whose grid (counted from ``low``) the default lies.

    Args:
        spec: the parameter's spec.
        ticks: the least number of slider positions wanted across the range.
    """
    if spec.type is int:
        return 1
    span = float(spec.high) - float(spec.low)
    target = span / ticks
    exponent = math.floor(math.log10(target))
    for k in range(exponent, exponent - 6, -1):
        for mantissa in (5, 2, 1):
            step = mantissa * 10.0 ** k
            if step > target * (1 + 1e-9):
                continue
            steps = (float(spec.default) - float(spec.low)) / step
            if abs(steps - round(steps)) < 1e-6:
                return float(f"{step:.12g}")
    return float(f"{target:.3g}")


def tooltip(spec: ParamSpec) -> str:
    """The hover text of a parameter's control: meaning, unit, range, default and source."""
    return (f"{spec.meaning} [{spec.unit}]. Range {spec.low}–{spec.high}; default {spec.default}. "
            f"Source: {spec.source}.")


def param_controls() -> tuple[ParamControl, ...]:
    """One control per parameter, in the order of ``PARAM_SPECS``."""
    return tuple(ParamControl(spec=s, step=slider_step(s)) for s in PARAM_SPECS)


def controls_by_group() -> dict[str, tuple[ParamControl, ...]]:
    """The controls grouped by ``spec.group``, groups in order of first appearance."""
    groups: dict[str, list[ParamControl]] = {}
    for control in param_controls():
        groups.setdefault(control.spec.group, []).append(control)
    return {g: tuple(cs) for g, cs in groups.items()}


def controls_by_level() -> tuple[tuple[ParamControl, ...], dict[str, tuple[ParamControl, ...]]]:
    """The basic controls (``spec.level == "basic"``), and the advanced ones grouped by
    ``spec.group`` (groups in order of first appearance)."""
    basic = tuple(c for c in param_controls() if c.spec.level == "basic")
    advanced: dict[str, list[ParamControl]] = {}
    for control in param_controls():
        if control.spec.level != "basic":
            advanced.setdefault(control.spec.group, []).append(control)
    return basic, {g: tuple(cs) for g, cs in advanced.items()}


def parse_text(name: str, text: str) -> float | int:
    """A value typed for parameter ``name``, checked by the model.

    Raises:
        ParameterError: with the model's message when the text is not a number in range.
    """
    return parse_value(name, text.strip())


def format_value(control: ParamControl, value: float | int) -> str:
    """``value`` as shown beside the slider (the typed form, without float noise)."""
    if control.is_int:
        return str(int(value))
    return f"{float(value):.6g}"
