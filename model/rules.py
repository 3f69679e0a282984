"""Plug-in decision rules: replace a member's election-day rule with your own function.

A rule is a plain Python function of one member (a :class:`runoff_abm.agents.Member` view: ``leaning``,
``propensity``, ``susceptibility``, ``round1``, ``sector``, ``contractor``, ``neighbours()``,
``index``, ``model``) that returns a probability:

- ``turnout``: the probability that the member votes on election day (replaces
  ``1 - (1 - p)(1 - capacity)`` / ``p``);
- ``choice``: the probability that the member votes for finalist A when voting by its own
  preference (replaces the leaning; bloc members who comply with an active contractor still
  vote as instructed).

**Code runs only where its owner put it** (``docs/security.md``):

- a function object given from Python (``RunoffModel(rules={"choice": my_rule})``) is the
  caller's own code and always runs;
- a ``.py`` file named by the caller (``runoff run --rule choice=my_rules.py:my_rule``, or
  ``rules={"choice": "my_rules.py:my_rule"}`` in Python) runs; its path is relative to the
  current working directory;
- a scenario file's ``[rules]`` table (``choice = "my_rules.py:my_rule"``, the path relative to
  the scenario file) runs only when the user trusts the file: ``runoff run FILE --trust-rules``
  or ``RunoffModel(..., trust_rules=True)``. Without that, the model refuses with one message
  saying how to opt in;
- ``module:function`` of an importable module (``os:system``, ``sys:addaudithook``) is never
  accepted: a rule is a function in a ``.py`` file.

Every rule that ran is recorded in the result (:func:`rule_record`: its name, function, file
and the SHA-256 of the file), so a result says how it was made. Rules are evaluated for every
member, in id order, on election day, identically in both engines. An exception in a rule, or a
value that is not a probability, stops the run with a :class:`RuleError` naming the rule, the
function (with its file's base name and line), the member and the problem; values from the rule
are echoed only as short, escaped text.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import math
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from runoff_abm.model.errors import RuleError, clean_text, one_line

__all__ = ["RULES", "RuleError", "load_rule", "resolve_rules", "rule_record", "evaluate", "file_sha256"]

RULES = {
    "turnout": "probability that the member votes on election day",
    "choice": "probability that the member votes for finalist A when voting its own preference",
}

#: The largest rule file read (and hashed).
MAX_RULE_FILE_BYTES = 10_000_000


def _split(name: str, rule: str) -> tuple[str, str]:
    """``"path.py:function"`` -> (path, function), or RuleError (``module:function`` is refused)."""
    target, colon, func = rule.rpartition(":")
    if not colon or not target.endswith(".py") or not func.isidentifier():
        raise RuleError(f"rule {name!r}: expected 'file.py:function' (a Python file and a function in it), got "
                        f"{clean_text(rule)}; a module name (module:function) is not accepted")
    return target, func


def file_sha256(path: str | Path) -> str | None:
    """SHA-256 (hex) of a regular file of at most :data:`MAX_RULE_FILE_BYTES`, else None."""
    try:
        p = Path(path)
        if not p.is_file() or p.stat().st_size > MAX_RULE_FILE_BYTES:
            return None
        return hashlib.sha256(p.read_bytes()).hexdigest()
    except (OSError, ValueError):
        return None


def load_rule(name: str, rule: str | Callable, base_dir: str | Path | None = None) -> Callable:
    """Resolve ``rule``: a callable (returned as is) or ``"path/to/file.py:function"``.

    Args:
        name: ``turnout`` or ``choice``.
        rule: a function, or a ``.py`` file and a function in it.
        base_dir: the folder a relative path is relative to (a scenario file's folder); None
            means the current working directory.

    Raises:
        RuleError: unknown rule name, a module instead of a file, a missing file or function,
            or an error while the file runs.
    """
    if name not in RULES:
        raise RuleError(f"rule {clean_text(name)}: unknown rule; allowed: {', '.join(RULES)}")
    if callable(rule):
        return rule
    if not isinstance(rule, str):
        raise RuleError(f"rule {name!r}: expected a function or 'file.py:function', got {clean_text(rule)}")
    target, func = _split(name, rule)
    path = Path(target).expanduser()
    shown = target if base_dir is None or path.is_absolute() else f"{target} (relative to the scenario file)"
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    try:
        regular = path.is_file()
    except (OSError, ValueError):
        regular = False
    if not regular:
        where = "" if base_dir is not None or path.is_absolute() else " (relative to the working directory)"
        raise RuleError(f"rule {name!r}: file {clean_text(shown, 200)} not found{where}; give the path of a .py file")
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    mod_name = f"runoff_rule_{digest}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise RuleError(f"rule {name!r}: {clean_text(shown, 200)} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        sys.modules[mod_name] = module  # so that pickling (worker processes) can find it
        spec.loader.exec_module(module)
    except Exception as err:
        sys.modules.pop(mod_name, None)
        raise RuleError(f"rule {name!r}: {clean_text(shown, 200)} failed to load: {type(err).__name__}: "
                        f"{clean_text(str(err), 120)}") from None
    fn = getattr(module, func, None)
    if not callable(fn):
        raise RuleError(f"rule {name!r}: {clean_text(target, 200)} has no function {func!r}")
    return fn


def rule_record(name: str, rule: str | Callable, fn: Callable, origin: str,
                base_dir: str | Path | None = None) -> dict[str, Any]:
    """What ran as rule ``name``, for the result: ``rule`` (as given, or ``module:qualname`` of a
    function), ``function``, ``file`` (base name), ``sha256`` of that file (None when the
    function has no file, e.g. typed at a prompt) and ``origin`` (``caller`` or ``scenario``)."""
    code = getattr(fn, "__code__", None)
    if isinstance(rule, str):
        target, _ = _split(name, rule)
        path: Path | None = Path(target).expanduser()
        assert path is not None
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        given = rule
    else:
        path = Path(code.co_filename) if code is not None else None
        given = f"{getattr(fn, '__module__', '?')}:{getattr(fn, '__qualname__', getattr(fn, '__name__', '?'))}"
    return {"rule": given, "function": getattr(fn, "__qualname__", getattr(fn, "__name__", repr(fn)))[:200],
            "file": path.name if path is not None else None,
            "sha256": file_sha256(path) if path is not None else None, "origin": origin}


def resolve_rules(scenario: Any, rules: Mapping[str, Any] | None = None, *,
                  trust_rules: bool = False) -> tuple[dict[str, Callable], dict[str, dict[str, Any]]]:
    """The rules a model runs: the caller's ``rules`` over the scenario's ``[rules]``.

    Args:
        scenario: the :class:`~runoff_abm.model.scenario.Scenario` (its ``rules`` and ``path``).
        rules: the caller's rules (functions, or ``file.py:function`` relative to the working
            directory); they replace the scenario's rule of the same name.
        trust_rules: run the scenario file's own ``[rules]`` (otherwise a scenario rule that
            would run is refused with a message saying how to opt in).

    Returns:
        ``(functions, records)``: rule name -> callable, and rule name -> :func:`rule_record`.

    Raises:
        RuleError: as :func:`load_rule`, or for an untrusted scenario rule.
    """
    rules = dict(rules or {})
    path = getattr(scenario, "path", "<memory>")
    file_rules = {k: v for k, v in (getattr(scenario, "rules", None) or {}).items() if k not in rules}
    if file_rules and not trust_rules:
        named = ", ".join(f"{k} = {clean_text(v, 60)}" for k, v in file_rules.items())
        raise RuleError(f"{one_line(str(path), 200)}: [rules] names plug-in code ({named}); a scenario's rules "
                        "run only if you trust the file: runoff run FILE --trust-rules (Python: "
                        "trust_rules=True), or give the rule yourself with --rule")
    base_dir = Path(path).parent if path not in ("<memory>", "") else None
    functions: dict[str, Callable] = {}
    records: dict[str, dict[str, Any]] = {}
    for k, v in file_rules.items():
        functions[k] = load_rule(k, v, base_dir)
        records[k] = rule_record(k, v, functions[k], "scenario", base_dir)
    for k, v in rules.items():
        functions[k] = load_rule(k, v, None)
        records[k] = rule_record(k, v, functions[k], "caller")
    return {k: functions[k] for k in RULES if k in functions}, {k: records[k] for k in RULES if k in records}


def _where(fn: Callable) -> str:
    """The function's name with its file's base name and line (no folders: no server paths)."""
    code = getattr(fn, "__code__", None)
    name = getattr(fn, "__name__", type(fn).__name__)
    if code is None:
        return name
    return f"{name} ({Path(code.co_filename).name}:{code.co_firstlineno})"


def _scrub(text: str, fn: Callable) -> str:
    """``text`` (an exception's message) without the folders of the rule's file, the working
    directory and the home directory, so that an error shown to someone else reveals no paths."""
    code = getattr(fn, "__code__", None)
    folders = [str(Path(code.co_filename).resolve().parent)] if code is not None else []
    with contextlib.suppress(OSError):
        folders.append(os.getcwd())
    folders.append(str(Path.home()))
    for folder in sorted(set(folders), key=len, reverse=True):
        if len(folder) > 1:
            text = text.replace(folder + os.sep, "").replace(folder, "...")
    return text


def evaluate(name: str, fn: Callable, members) -> np.ndarray:
    """The rule's probability for every member, checked (see the module docstring)."""
    out = np.empty(len(members))
    for i, member in enumerate(members):
        try:
            value = fn(member)
        except Exception as err:
            raise RuleError(f"rule {name!r}: {_where(fn)} raised {type(err).__name__}: {clean_text(_scrub(str(err), fn), 160)} "
                            f"(member {i}, round 1: {clean_text(member.round1, 40)}, sector: "
                            f"{clean_text(member.sector, 40)})") from None
        try:
            value = float(value)
        except Exception:
            raise RuleError(f"rule {name!r}: {_where(fn)} returned {clean_text(value, 40)} for member {i}; it must "
                            f"return a probability in [0, 1] ({RULES[name]})") from None
        if math.isnan(value) or not 0.0 <= value <= 1.0:
            raise RuleError(f"rule {name!r}: {_where(fn)} returned {clean_text(value, 40)} for member {i}; it must "
                            f"return a probability in [0, 1] ({RULES[name]})")
        out[i] = value
    return out
