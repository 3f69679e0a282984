"""runoff-abm: an agent-based model of a party-leadership runoff (Mesa + networkx).

The one public namespace. The core::

    from runoff_abm import run, RunoffModel, load_scenario

    result = run("labor-2011", seed=1, members=20000, contractor_compliance=0.6)
    with RunoffModel(scenario="labor-2011", seed=1, members=20000) as model:
        model.step()

Subpackages (each a folder of the repository): :mod:`runoff_abm.model` (the core: parameters,
scenario data and events, engines, results), :mod:`runoff_abm.agents` (Mesa agents),
:mod:`runoff_abm.scenarios` (the built-in scenario files, data only), :mod:`runoff_abm.studies`
(parameter studies, calibration, prediction; extra ``[studies]``), :mod:`runoff_abm.viz` (the
app; extra ``[app]``) and :mod:`runoff_abm.cli` (the ``runoff`` command). Importing this package
imports the core only: never the app, Dask or matplotlib.
"""

from runoff_abm._version import __version__
from runoff_abm.model.api import run
from runoff_abm.model.errors import (
    InputError,
    ParameterError,
    RuleError,
    RunoffError,
    ScenarioError,
    SpecError,
    SweepError,
)
from runoff_abm.model.events import EVENT_KINDS, Event, event_kind
from runoff_abm.model.params import PARAM_SPECS, Params, param_spec
from runoff_abm.model.result import RunResult
from runoff_abm.model.rng import replicate_seeds
from runoff_abm.model.runoff import RunoffModel
from runoff_abm.model.scenario import Scenario, load_scenario, parse_scenario
from runoff_abm.scenarios import DEFAULT_SCENARIO, builtin_names

__all__ = [
    "__version__", "run", "RunoffModel", "RunResult", "load_scenario", "parse_scenario", "Scenario",
    "Params", "PARAM_SPECS", "param_spec", "EVENT_KINDS", "Event", "event_kind", "replicate_seeds",
    "DEFAULT_SCENARIO", "builtin_names", "RunoffError", "InputError", "ParameterError", "ScenarioError",
    "RuleError", "SpecError", "SweepError",
]
