"""Shared fixtures: tiny hand-built scenarios and graphs for rule-level unit tests, and the app
server and Chromium for the browser tests (skipped when Chromium or Playwright is missing).

Under CI (``CI`` set, as ``.ci/run`` does) the browser tests must run: a missing Chromium or
Playwright stops the session instead of silently skipping them.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from runoff_abm.agents import Activist, Member
from runoff_abm.model.engine import ENGINES
from runoff_abm.model.runoff import RunoffModel
from runoff_abm.model.scenario import parse_scenario

#: Test modules that drive the app in a real browser (marked ``browser``: ``-m "not browser"``
#: leaves them out, as ``.ci/run`` does on the second and third Python).
BROWSER_MODULES = {"test_app_browser.py", "test_app_classroom.py", "test_app_exercises.py", "test_app_security.py"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in BROWSER_MODULES:
            item.add_marker(pytest.mark.browser)


def pytest_sessionstart(session):
    if os.environ.get("CI"):
        from runoff_abm.viz.testing import chromium

        if chromium() is None or importlib.util.find_spec("playwright") is None:
            pytest.exit("CI: the browser tests need Debian's chromium (apt-get install -y chromium) and "
                        "Playwright (pip install -e '.[dev]'); .ci/run installs both", returncode=3)


ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
#: Screenshots for the README and docs/teaching.md are written to docs/img/ only when this is set
#: (``RUNOFF_UPDATE_SCREENSHOTS=1``); otherwise to test-artifacts/, so CI never dirties the tree.
UPDATE_SCREENSHOTS = os.environ.get("RUNOFF_UPDATE_SCREENSHOTS") == "1"
AXE = ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"


def shot(target, name: str, full_page: bool = False, docs: bool = False) -> Path:
    """Screenshot a page or one element (a Playwright locator) as ``name``: in test-artifacts/, or,
    for a screenshot the docs show (``docs``), in docs/img/ when updating screenshots."""
    folder = ROOT / "docs" / "img" if (docs and UPDATE_SCREENSHOTS) else ARTIFACTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if hasattr(target, "goto"):
        target.screenshot(path=str(path), full_page=full_page, animations="disabled")
    else:
        target.screenshot(path=str(path), animations="disabled")
    return path


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (``npm ci --prefix tests/js``) in ``page``; its violations of the given impacts."""
    if not AXE.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"axe-core is missing ({AXE}); install it with: npm ci --prefix tests/js")
        pytest.skip("axe-core is not installed; install it with: npm ci --prefix tests/js")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate("""async () => {
      const r = await axe.run(document, {resultTypes: ['violations']});
      return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                     nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""")
    return [v for v in found if v["impact"] in impacts]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (sync API), one per test module."""
    from runoff_abm.viz.testing import CHROMIUM_ARGS, chromium

    if chromium() is None:
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium); install it with: apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(request):
    """The app on 127.0.0.1 (``runoff viz`` in a subprocess), one per test module; its log
    goes to ``test-artifacts/app-server-MODULE.log``."""
    from runoff_abm.viz.testing import AppServer

    with AppServer(log=ARTIFACTS / f"app-server-{request.module.__name__}.log") as srv:
        yield srv


TINY = {
    "name": "tiny",
    "roll": 8,
    "election_day": 4,
    "finalists": ["A", "B"],
    "candidates": [
        {"name": "A", "votes": 3, "activists": 1},
        {"name": "B", "votes": 2, "activists": 1},
        {"name": "C", "votes": 2, "activists": 1},
    ],
    "contractors": [{"name": "broker", "patron": "C", "bloc": 2}],
}


def tiny_scenario(**changes):
    """The TINY scenario (3 candidates, 8 members) with top-level fields replaced."""
    return parse_scenario({**TINY, **changes}, source="<tiny>")


def rebuild(model, *, r1=None, camp=None, bloc=None, leaning=None, propensity=None,
            susceptibility=None, station=None):
    """Overwrite member state arrays of ``model`` and rebuild its engine (which caches the
    activist list), its contractors' member lists and the members' visibility and compliance,
    so a unit test controls who is who (and who votes where)."""
    st = model.state
    for name, value in (("r1", r1), ("camp", camp), ("bloc", bloc), ("leaning", leaning),
                        ("propensity", propensity), ("susceptibility", susceptibility), ("station", station)):
        if value is not None:
            arr = getattr(st, name)
            setattr(st, name, np.asarray(value, dtype=arr.dtype))
    model.refresh_blocs()
    for i, agent in enumerate(model.members):
        wanted = Activist if st.camp[i] >= 0 else Member
        if type(agent) is not wanted:
            agent.remove()
            model.members[i] = wanted(model, i)
    model.engine = ENGINES[model.engine.name](model)
    return model


@pytest.fixture(params=sorted(ENGINES))
def engine(request):
    """Each engine in turn: every rule test runs on both."""
    return request.param


@pytest.fixture
def star():
    """Member 0 tied to 1, 2 and 3; members 4..7 tied in a path 4-5-6-7 (not to 0)."""
    g = nx.Graph()
    g.add_nodes_from(range(8))
    g.add_edges_from([(0, 1), (0, 2), (0, 3), (4, 5), (5, 6), (6, 7)])
    return g


def tiny_model(graph, engine="array", scenario=None, **params):
    """A RunoffModel on the tiny scenario over a hand-built graph, seed 1."""
    return RunoffModel(scenario=scenario or tiny_scenario(), seed=1, members=graph.number_of_nodes(),
                       graph=graph, engine=engine, **params)
