"""Teaching: every exercise and every solution executes from a clean checkout (a broken one
fails CI); solutions assert their conclusions from computed results."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "exercises").glob("*/exercise.py")) + sorted((ROOT / "exercises").glob("*/solution.py"))


def test_there_are_at_least_six_exercises_each_with_a_solution():
    dirs = sorted(p for p in (ROOT / "exercises").iterdir() if p.is_dir() and p.name[:2].isdigit())
    assert len(dirs) >= 6
    for d in dirs:
        assert (d / "exercise.py").exists() and (d / "solution.py").exists(), d
        text = (d / "exercise.py").read_text()
        assert "Learning goal" in text and "story" in text.lower() and "## Tasks" in text, d


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_exercise_file_executes(path, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    p = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, f"{path} failed:\n{p.stdout[-2000:]}\n{p.stderr[-4000:]}"


def test_every_exercise_has_an_app_preset_that_loads():
    from runoff_abm.viz.presets import exercise_names, load_exercise

    folders = {p.name for p in (ROOT / "exercises").iterdir() if p.is_dir() and p.name[:2].isdigit()}
    presets = [load_exercise(n) for n in exercise_names()]
    assert {e.exercise for e in presets} == folders
    for e in presets:
        assert e.instructions and e.controls
