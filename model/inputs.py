"""One parser for each structural input that every front end shares: seed, member count,
parameter overrides (``name=value``).

The command line, the app, sweep specs and the Python API all call these, so a value is
accepted or refused the same way everywhere, with the same one-line message
(:class:`~runoff_abm.model.errors.InputError`, exit status 2 on the command line).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import Any, NoReturn

from runoff_abm.model.errors import InputError, ParameterError, clean_text, one_line
from runoff_abm.model.params import parse_value

__all__ = ["EXIT_USAGE", "OneLineParser", "MAX_SEED", "MAX_MEMBERS", "MIN_MEMBERS", "MAX_WORKERS", "parse_seed", "parse_members", "parse_count", "parse_workers",
           "parse_fraction", "parse_overrides"]

#: Seeds are non-negative integers below 2**63 (they are stored as int64 in result tables).
MAX_SEED = 2**63 - 1
#: The fewest members a run can have.
MIN_MEMBERS = 2
#: The most members one run may have (about 10 GB of state and graph); the app's limit is lower.
MAX_MEMBERS = 5_000_000
#: The most local worker processes (or local Dask workers) one command may start.
MAX_WORKERS = 512


#: Exit status of a command given bad input (a usage error).
EXIT_USAGE = 2


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, ``runoff: error: ...`` (or ``PROG: error: ...``
    for a command that is not ``runoff``), exit status :data:`EXIT_USAGE` (instead of argparse's
    usage block); subcommand parsers inherit it."""

    def _head(self) -> str:
        if self.prog.startswith("runoff"):
            cmd = self.prog.removeprefix("runoff").strip()
            return "runoff: error: " + (f"{cmd}: " if cmd else "")
        return f"{self.prog}: error: "

    def error(self, message: str) -> NoReturn:
        """Print the one line and exit with :data:`EXIT_USAGE`."""
        text = one_line(" ".join(message.split()))
        self.exit(EXIT_USAGE, f"{self._head()}{text} (see `{self.prog} --help`)\n")

    def refuse(self, err: Exception) -> int:
        """Print a refused value's one line (``err``, e.g. an InputError) to stderr; return
        :data:`EXIT_USAGE` for the command to exit with."""
        print(f"{self._head()}{one_line(str(err))}", file=sys.stderr)
        return EXIT_USAGE


def _integer(value: Any, source: str, allowed: str) -> int:
    """``value`` as an int (an int, an integral float or text of digits), or InputError."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip().replace("_", "").replace(",", "")
        if text.lstrip("+-").isdigit() and len(text) <= 40:
            return int(text)
    raise InputError(source, "", f"{clean_text(value, 40)} is not a whole number; allowed: {allowed}")


def parse_seed(value: Any, source: str = "seed") -> int:
    """A master seed: an integer in ``0 .. 2**63 - 1`` (text, int or integral float).

    Raises:
        InputError: naming ``source`` (e.g. ``--seed``) and what is allowed.
    """
    allowed = f"0 to {MAX_SEED} (2**63 - 1)"
    seed = _integer(value, source, allowed)
    if not 0 <= seed <= MAX_SEED:
        raise InputError(source, "", f"{seed} is out of range; allowed: {allowed}")
    return seed


def parse_members(value: Any, source: str = "members", limit: int = MAX_MEMBERS, low: int = MIN_MEMBERS) -> int:
    """A member count: an integer in ``low .. limit`` (text may use ``,`` or ``_`` separators).

    Raises:
        InputError: naming ``source`` and the allowed range.
    """
    n = _integer(value, source, f"{low:,} to {limit:,} members")
    if not low <= n <= limit:
        raise InputError(source, "", f"{n:,} is out of range; allowed: {low:,} to {limit:,} members")
    return n


def parse_count(value: Any, source: str, low: int, high: int, unit: str = "") -> int:
    """A whole number in ``low .. high`` (e.g. ``--replicates``, ``--workers``, ``--chunk``).

    Raises:
        InputError: naming ``source`` and the allowed range.
    """
    allowed = f"{low:,} to {high:,}" + (f" {unit}" if unit else "")
    n = _integer(value, source, allowed)
    if not low <= n <= high:
        raise InputError(source, "", f"{n:,} is out of range; allowed: {allowed}")
    return n


def parse_workers(value: Any, source: str = "--workers") -> int | None:
    """A number of local worker processes in ``1 .. MAX_WORKERS``, or None (not given: all cores).

    Raises:
        InputError: naming ``source`` and the allowed range.
    """
    return None if value is None else parse_count(value, source, 1, MAX_WORKERS, "processes")


def parse_fraction(value: Any, source: str, *, open_low: bool = True) -> float:
    """A fraction in ``(0, 1]`` (``[0, 1]`` when not ``open_low``), e.g. ``--accept``.

    Raises:
        InputError: naming ``source`` and the allowed range.
    """
    allowed = "(0, 1]" if open_low else "[0, 1]"
    try:
        x = float(str(value).strip()) if not isinstance(value, (int, float)) or isinstance(value, bool) else float(value)
    except (ValueError, OverflowError):
        raise InputError(source, "", f"{clean_text(value, 40)} is not a number; allowed: {allowed}") from None
    if not (x > 0 if open_low else x >= 0) or not x <= 1:
        raise InputError(source, "", f"{clean_text(value, 40)} is out of range; allowed: {allowed}")
    return x


def parse_overrides(items: Iterable[str], source: str = "--set") -> dict[str, float | int]:
    """Parameter overrides from ``name=value`` texts (``--set``), each checked.

    Raises:
        InputError: for a malformed item, an unknown parameter or a value out of range.
    """
    out: dict[str, float | int] = {}
    for item in items:
        if "=" not in item:
            raise InputError(f"{source} {item}", "", "expected name=value (see `runoff params`)")
        name, _, text = item.partition("=")
        try:
            out[name.strip()] = parse_value(name.strip(), text.strip())
        except ParameterError as err:
            raise InputError(f"{source} {item}", "", err.message) from None
    return out
