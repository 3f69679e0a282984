"""The built-in scenario files: data only (this package imports nothing of the model).

Built-in scenarios are the ``*.toml`` files in this folder, loaded by name with
:func:`runoff_abm.load_scenario` (``docs/scenarios.md`` describes the format field by field).
Sub-folders hold other shipped data: sweep specs (``sweeps/``), the app's exercise presets
(``exercises/``), calibrations (``calibration/``) and real contests for back-tests.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["BUILTIN_DIR", "DEFAULT_SCENARIO", "builtin_names"]

#: The folder of the built-in scenario files.
BUILTIN_DIR = Path(__file__).resolve().parent

#: The scenario every front end uses when none is named.
DEFAULT_SCENARIO = "labor-2011"


def builtin_names() -> list[str]:
    """Names of the built-in scenarios (the TOML files shipped in this package), sorted."""
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))
