"""Type-check the installed layout of the package with mypy: ``python tests/typecheck.py``.

mypy cannot follow setuptools' editable mapping of the repository's folders to ``runoff_abm.*``,
so this script builds that layout from symbolic links in a temporary folder (``runoff_abm/`` =
``runoff/``'s modules plus ``model/``, ``agents/``, ``scenarios/``, ``studies/``, ``viz/``) and
runs mypy on it with the settings of ``pyproject.toml``. Messages name the temporary paths
``runoff_abm/<subpackage>/<module>.py``, which map one to one to the repository's folders.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUBPACKAGES = ("model", "agents", "scenarios", "studies", "viz")


def main() -> int:
    """Build the link farm and run mypy; returns mypy's exit status."""
    with tempfile.TemporaryDirectory(prefix="runoff-types-") as tmp:
        pkg = Path(tmp) / "runoff_abm"
        pkg.mkdir()
        for module in (ROOT / "runoff").glob("*.py"):
            (pkg / module.name).symlink_to(module)
        for sub in SUBPACKAGES:
            (pkg / sub).symlink_to(ROOT / sub, target_is_directory=True)
        cmd = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "runoff_abm"]
        return subprocess.run(cmd, cwd=tmp).returncode


if __name__ == "__main__":
    sys.exit(main())
