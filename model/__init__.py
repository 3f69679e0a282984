"""The runoff model core: parameters, population, influence graph, engines, results.

Public API (imported lazily so that ``scenarios`` can import ``model.params`` without a cycle):
``RunoffModel``, ``RunResult``, ``Params``, ``PARAM_SPECS``, ``run``.
"""

from model.params import PARAM_SPECS, ParameterError, Params

__all__ = ["RunoffModel", "RunResult", "Params", "PARAM_SPECS", "ParameterError", "run"]


def __getattr__(name):
    if name == "RunoffModel":
        from model.runoff import RunoffModel

        return RunoffModel
    if name == "RunResult":
        from model.result import RunResult

        return RunResult
    if name == "run":
        from model.api import run

        return run
    raise AttributeError(f"module 'model' has no attribute {name!r}")
