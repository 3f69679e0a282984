"""The runoff model core: parameters, scenario data and events, population, influence graph,
engines, results and random streams.

Layers, bottom up (each module imports only those before it): ``errors``; ``params`` (every
parameter, defined once); ``events`` (every event kind, declared once); ``scenario`` (the
scenario data and its loader); ``rng``, ``population``, ``network``, ``influence``,
``rules``; ``engine``; ``reporters``, ``result``; ``runoff`` (:class:`RunoffModel`); ``api``
(:func:`run`). The public names are re-exported by :mod:`runoff_abm`.
"""
