"""The interactive browser app (Solara), started by ``runoff viz``, ``python -m runoff_abm.viz`` or ``make viz``.

It imports ``model``, ``agents`` and ``scenarios``; nothing in the core imports it. Modules:

* :mod:`runoff_abm.viz.app` — the page (one :class:`~runoff_abm.viz.state.AppState` per browser session);
* :mod:`runoff_abm.viz.state` — per-session state and every user action (quick ones at once, long ones in
  Solara threaded tasks with progress); bad input becomes a message in the page;
* :mod:`runoff_abm.viz.session` — settings, the session's model, and immutable snapshots for the views;
* :mod:`runoff_abm.viz.controls` / :mod:`runoff_abm.viz.views` — the components (settings on the left, views on the right);
* :mod:`runoff_abm.viz.param_controls` — parameter controls derived from ``runoff_abm.PARAM_SPECS``;
* :mod:`runoff_abm.viz.events` — the event editor's fields, choices and checked edits;
* :mod:`runoff_abm.viz.network` — the aggregated network and ego samples, with seeded layouts cached per graph;
* :mod:`runoff_abm.viz.figures` — matplotlib (Agg) figures; :mod:`runoff_abm.viz.experiments` — compare and replicates;
* :mod:`runoff_abm.viz.offline` — serving without any CDN; :mod:`runoff_abm.viz.cli` — the ``viz`` command;
* :mod:`runoff_abm.viz.testing` — the app server and Chromium for browser tests;
* :mod:`runoff_abm.viz.exercise` — exercise presets (``?exercise=NAME``).
"""
