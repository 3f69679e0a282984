"""The package as users install and import it: one namespace, clean layers, derived declarations.

- ``pip install .`` installs one top-level import name, ``runoff_abm``;
- a folder with a Mesa-tutorial ``model.py`` and ``agents.py`` does not shadow anything;
- the package's layers import only downwards (no cycles; the core never imports the app,
  Dask or matplotlib);
- a new event kind is one declaration: the loader, the app's editor, sweep factors, the docs
  and the model all take it without other edits;
- docs/ODD.md's parameter table is ``runoff params --markdown``;
- the same seed gives the same JSON on every supported Mesa/Python pair present here.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: folder -> subpackage of runoff_abm (pyproject.toml's package-dir)
PACKAGES = {"runoff": "", "model": "model", "agents": "agents", "scenarios": "scenarios", "studies": "studies",
            "viz": "viz"}
#: subpackage -> the subpackages it may import ("" is the package root: version, CLI, API)
ALLOWED = {
    "scenarios": set(),
    "model": {"scenarios", "agents", "_version"},
    "agents": set(),
    "studies": {"scenarios", "model", "agents", "_version"},
    "viz": {"scenarios", "model", "agents", "studies", "_version"},
    "": {"scenarios", "model", "agents", "studies", "viz", "_version", ""},
}


def _modules() -> dict[str, Path]:
    """Every module of the package: dotted name -> file."""
    out = {}
    for folder, sub in PACKAGES.items():
        for path in sorted((ROOT / folder).glob("*.py")):
            parts = ["runoff_abm"] + ([sub] if sub else []) + ([] if path.stem == "__init__" else [path.stem])
            out[".".join(parts)] = path
    return out


def _imports(path: Path, top_level_only: bool) -> set[str]:
    """The runoff_abm modules ``path`` imports (outside ``if TYPE_CHECKING:``); with
    ``top_level_only``, only the imports executed when the module is imported."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                if inner or not top_level_only:
                    found.update(a.name for a in child.names if a.name.startswith("runoff_abm"))
            elif isinstance(child, ast.ImportFrom) and (child.module or "").startswith("runoff_abm"):
                if inner or not top_level_only:
                    found.add(child.module)
                    found.update(f"{child.module}.{a.name}" for a in child.names)
            visit(child, inner)

    visit(tree, True)
    return found


def _subpackage(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return ""
    return parts[1] if parts[1] in ALLOWED or parts[1] == "_version" else ""


def test_layers_import_only_downwards():
    """Each subpackage imports only the layers below it (docs/architecture.md)."""
    bad = []
    for name, path in _modules().items():
        own = _subpackage(name)
        for imp in _imports(path, top_level_only=False):
            other = _subpackage(imp)
            if other != own and other not in ALLOWED[own]:
                bad.append(f"{name} imports {imp} ({own or 'root'} may not import {other or 'root'})")
    assert not bad, "\n".join(bad)


def test_no_import_cycle_between_modules():
    """Import-time dependencies between the package's modules form no cycle."""
    mods = _modules()
    graph = {}
    for name, path in mods.items():
        graph[name] = {m for m in _imports(path, top_level_only=True) if m in mods and m != name}
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                dfs(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            dfs(node)


def _python(code: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_the_core_never_imports_the_app_dask_or_matplotlib(tmp_path):
    p = _python("""
        import sys
        import runoff_abm
        r = runoff_abm.run("labor-2011", seed=1, members=1000)
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in
                       ("solara", "dask", "distributed", "matplotlib", "ipywidgets", "reacton", "SALib"))
        print(heavy)
        assert not heavy, heavy
    """, tmp_path)
    assert p.returncode == 0, p.stderr


def test_a_folder_with_mesa_tutorial_files_does_not_shadow_the_package(tmp_path):
    """A student's folder with Mesa's tutorial layout (``model.py``, ``agents.py``) and files
    named like the repository's folders: ``python -m runoff_abm`` and the README's snippet work."""
    for name in ("model", "agents", "scenarios", "viz", "studies", "runoff"):
        (tmp_path / f"{name}.py").write_text(f"raise ImportError('the student file {name}.py was imported')\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    p = subprocess.run([sys.executable, "-m", "runoff_abm", "run", "--members", "500", "--json"], cwd=tmp_path,
                       env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["members"] == 500
    p = _python("""
        from runoff_abm import RunoffModel, run
        result = run("labor-2011", seed=1, members=2000, contractor_compliance=0.6)
        with RunoffModel(scenario="labor-2011", seed=1, members=2000) as model:
            model.step()
        print(result.winner, model.day)
    """, tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[1] == "1"


@pytest.mark.slow
def test_pip_install_puts_one_top_level_name(tmp_path):
    """``pip install .`` (a real wheel build) adds exactly one importable top-level name."""
    target = tmp_path / "site"
    p = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
                        "--target", str(target), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    names = sorted(x.name for x in target.iterdir() if x.name not in ("bin", "__pycache__"))
    importable = [n for n in names if not n.endswith(".dist-info")]
    assert importable == ["runoff_abm"], names
    dist = next(target.glob("runoff_abm-*.dist-info"))
    top = (dist / "top_level.txt").read_text().split() if (dist / "top_level.txt").exists() else ["runoff_abm"]
    assert top == ["runoff_abm"]
    pkg = target / "runoff_abm"
    for sub in ("model", "agents", "scenarios", "studies", "viz"):
        assert (pkg / sub / "__init__.py").exists(), sub
    assert (pkg / "scenarios" / "labor-2011.toml").exists()


# --------------------------------------------------------------------------- one declaration
RALLY_SCENARIO = """
name = "rally-test"
roll = 3000
election_day = 6
finalists = ["Ann", "Bob"]
[[candidates]]
name = "Ann"
votes = 800
[[candidates]]
name = "Bob"
votes = 700
[[candidates]]
name = "Cy"
votes = 500
[[events]]
kind = "rally"
day = 2
by = "Bob"
turnout = 0.5
"""


@pytest.fixture
def rally_kind():
    """A new event kind declared in one place (a finalist's rally mobilises its own voters)."""
    from runoff_abm.model.events import Event, event_kind, field, unregister_event_kind

    @event_kind("rally", label="rally", meaning="A finalist holds a rally: its round-1 voters are mobilised.")
    class Rally(Event):
        by: str = field(type="name", label="finalist rallying", names=("finalist",),
                        meaning="the finalist who holds the rally")
        turnout: float = field(type="number", label="mobilisation", default=0.3, low=0.0, high=1.0, open_low=True,
                               meaning="share of the gap to certain turnout closed for the finalist's voters")

        def apply(self, model, index):
            k = [c.name for c in model.candidates].index(self.by)
            ids = (model.state.r1 == k).nonzero()[0]
            p = model.state.propensity
            p[ids] = p[ids] + self.turnout * (1 - p[ids])
            model.log(f"{self.by} holds a rally")

        def describe(self):
            return f"{self.by} holds a rally"

    yield Rally
    unregister_event_kind("rally")


def test_a_new_event_kind_is_one_declaration(rally_kind, tmp_path):
    import tomllib

    from runoff_abm.model.events import markdown_reference
    from runoff_abm.model.scenario import parse_scenario
    from runoff_abm.studies.spec import parse_spec

    # the loader accepts it and checks its fields like any other kind
    scn = parse_scenario(tomllib.loads(RALLY_SCENARIO))
    assert scn.events[0].kind == "rally" and scn.events[0].by == "Bob"
    from runoff_abm.model.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"events\[0\]\.by: 'Cy' is not allowed; allowed: Ann, Bob"):
        parse_scenario(tomllib.loads(RALLY_SCENARIO.replace('by = "Bob"', 'by = "Cy"')))
    # the model applies it (same seed, with and without: Bob's turnout rises)
    from runoff_abm import run

    with_rally = run(scn, seed=4)
    without = run(scn.with_events([]), seed=4)
    assert with_rally.flows.loc["Bob"].drop("abstained").sum() > without.flows.loc["Bob"].drop("abstained").sum()
    assert any("rally" in text for _, text in with_rally.events)
    # the app's editor shows it, with its fields and choices
    from runoff_abm.viz.events import blank_event, edit_event, event_fields, field_choices, kind_labels

    assert kind_labels()["rally"] == "rally"
    assert [f.key for f in event_fields("rally")] == ["day", "by", "turnout", "note"]
    assert field_choices("rally", "by", scn) == ["Ann", "Bob"]
    fresh = blank_event("rally", scn)
    assert edit_event(fresh, "by", "Bob", scn, 0).by == "Bob"
    # a sweep factor can use it
    spec = parse_spec({"name": "rally-sweep", "scenario": "x", "seed": 1, "replicates": 1,
                       "factors": {"rally": {"remove": ["Bob"], "levels": {
                           "none": [], "big": [{"kind": "rally", "day": 3, "by": "Bob", "turnout": 0.9}]}}}},
                      scenario=scn)
    assert [p.levels["rally"] for p in spec.design()] == ["none", "big"]
    assert spec.scenario_for(spec.design()[1]).events[0].turnout == 0.9
    # the docs' event reference documents it
    ref = markdown_reference()
    assert "### `rally`: rally" in ref and "| `turnout` | number | no | 0.3 | (0, 1] |" in ref


def test_odd_parameter_table_is_runoff_params_markdown():
    from runoff_abm.model.params import markdown_table

    odd = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    assert markdown_table() in odd, "docs/ODD.md's parameter table differs from `runoff params --markdown`"


def test_docs_event_reference_is_generated_from_the_declarations():
    from runoff_abm.model.events import markdown_reference

    doc = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    assert markdown_reference() in doc, "docs/scenarios.md's event reference differs from the declarations"


# --------------------------------------------------------------------------- across Mesa versions
def _other_pythons() -> list[str]:
    """Interpreters with this package installed on another Mesa/Python (``.ci/run`` sets
    RUNOFF_OTHER_PYTHONS to the paths, separated by ``os.pathsep``)."""
    return [p for p in os.environ.get("RUNOFF_OTHER_PYTHONS", "").split(os.pathsep) if p]


@pytest.mark.skipif(not _other_pythons(), reason="no other Python with the package installed "
                    "(set RUNOFF_OTHER_PYTHONS; .ci/run does when Python 3.12/3.13 are present)")
@pytest.mark.parametrize("scenario", ["labor-2011", "labor-2011-no-events", "labor-2011-endogenous",
                                      "labor-2011-herzog-endorses-yachimovich"])
def test_same_seed_same_json_on_every_mesa_and_python(scenario, tmp_path):
    args = ["-m", "runoff_abm", "run", scenario, "--seed", "3", "--members", "20000", "--json"]
    outputs = {}
    for exe in [sys.executable, *_other_pythons()]:
        p = subprocess.run([exe, *args], cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, (exe, p.stderr[-2000:])
        ver = subprocess.run([exe, "-c", "import sys, mesa; print(sys.version.split()[0], mesa.__version__)"],
                             capture_output=True, text=True, timeout=120).stdout.strip()
        outputs[ver] = p.stdout
    first, *rest = outputs.values()
    assert len(outputs) >= 2
    for ver, out in outputs.items():
        assert out == first, f"{ver} differs"
