"""Parameter studies: sweep specs as data, a pure run function, executors (serial, processes,
Dask), Parquet results that resume after any interruption, and analysis (means with confidence
intervals, win probabilities, Morris and Sobol sensitivity indices via SALib).

Python API: ``load_spec``, ``run_sweep``, ``load_results``, ``summarise``, ``sensitivity``,
``run_outcomes``.
"""

from runoff_abm.studies.outcomes import run_outcomes
from runoff_abm.studies.spec import SpecError, SweepSpec, load_spec, parse_spec
from runoff_abm.studies.store import load_results
from runoff_abm.studies.sweep import SweepError, run_sweep

__all__ = ["load_spec", "parse_spec", "SweepSpec", "SpecError", "run_sweep", "SweepError",
           "load_results", "run_outcomes", "summarise", "sensitivity"]


def __getattr__(name):
    if name in ("summarise", "sensitivity"):
        from runoff_abm.studies import analysis

        return getattr(analysis, name)
    raise AttributeError(name)
