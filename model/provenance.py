"""How a result was made: records of plug-in rules (file and sha256 of their source) and the
fingerprint of a scenario, for result JSON and sweep manifests.

A rule record names the rule (``turnout`` or ``choice``), the function, the module it came from
and the absolute path and sha256 of the source file that was executed, so that a plug-in-rule
result can never pass for a default one and a rerun can check that the code is unchanged.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["sha256_file", "scenario_sha256", "rule_records", "rule_records_from_specs", "rule_spec",
           "describe_rule"]


def sha256_file(path: str | Path) -> str | None:
    """The hex sha256 of a file's bytes, or None if it cannot be read."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def scenario_sha256(data: Mapping[str, Any]) -> str:
    """The sha256 of a scenario's resolved tables (``Scenario.to_dict()``) as canonical JSON."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _record(name: str, function: str, module: str | None, path: str | None) -> dict[str, Any]:
    resolved = str(Path(path).resolve()) if path else None
    return {"name": name, "function": function, "module": module, "path": resolved,
            "sha256": sha256_file(resolved) if resolved else None}


def rule_records(specs: Mapping[str, Any], loaded: Mapping[str, Callable]) -> list[dict[str, Any]]:
    """Records of the rules a model ran (``model.rules``), sorted by rule name.

    Args:
        specs: what each rule was given as (``"file.py:function"``, ``"module:function"`` or a
            callable): the scenario's ``[rules]`` updated with the caller's.
        loaded: the loaded functions by rule name (``RunoffModel.rules``).

    Returns:
        One dict per rule: ``name``, ``function``, ``module`` (None for a rule loaded from a
        file by path), ``path`` (absolute path of the source file executed, or None) and
        ``sha256`` of that file.
    """
    out = []
    for name in sorted(loaded):
        fn = loaded[name]
        spec = specs.get(name)
        mod = sys.modules.get(getattr(fn, "__module__", "") or "")
        path = getattr(mod, "__file__", None)
        if path is None:
            code = getattr(fn, "__code__", None)
            path = code.co_filename if code is not None and Path(code.co_filename).exists() else None
        by_file = isinstance(spec, str) and spec.rpartition(":")[0].endswith(".py")
        module = None if by_file else getattr(fn, "__module__", None)
        out.append(_record(name, getattr(fn, "__qualname__", getattr(fn, "__name__", repr(fn))), module, path))
    return out


def rule_records_from_specs(specs: Mapping[str, str], base_dir: str | Path | None) -> list[dict[str, Any]]:
    """Records of rules given as text, without executing them (for sweep manifests).

    ``file.py:function`` paths resolve against ``base_dir`` (the scenario file's folder);
    ``module:function`` rules are located with :func:`importlib.util.find_spec`.
    """
    out = []
    for name in sorted(specs):
        target, _, func = str(specs[name]).rpartition(":")
        if target.endswith(".py"):
            p = Path(target)
            if not p.is_absolute() and base_dir is not None:
                p = Path(base_dir) / p
            out.append(_record(name, func, None, str(p)))
        else:
            try:
                found = importlib.util.find_spec(target)
            except (ImportError, ValueError):
                found = None
            origin = found.origin if found is not None and found.has_location else None
            out.append(_record(name, func, target, origin))
    return out


def rule_spec(record: Mapping[str, Any]) -> str:
    """The ``rules=`` text that loads the recorded rule again: the exact file for a rule loaded
    by path, else ``module:function``."""
    if record.get("module"):
        return f"{record['module']}:{record['function']}"
    return f"{record['path']}:{record['function']}"


def describe_rule(record: Mapping[str, Any]) -> str:
    """One line for a report: ``choice: clan_vote in my_rules.py (sha256 3f2a9b1c04de)``."""
    where = Path(record["path"]).name if record.get("path") else (record.get("module") or "?")
    digest = record.get("sha256")
    return f"{record['name']}: {record['function']} in {where}" + (f" (sha256 {digest[:12]})" if digest else "")
