"""The interactive browser app (Solara), started by ``runoff viz``, ``python -m viz`` or ``make viz``.

It imports ``model``, ``agents`` and ``scenarios``; nothing in the core imports it. Modules:

* :mod:`viz.app` — the page (one :class:`~viz.state.AppState` per browser session);
* :mod:`viz.state` — per-session state and every user action (quick ones at once, long ones in
  Solara threaded tasks with progress); bad input becomes a message in the page;
* :mod:`viz.session` — settings, the session's model, and immutable snapshots for the views;
* :mod:`viz.controls` / :mod:`viz.views` — the components (settings on the left, views on the right);
* :mod:`viz.param_controls` — parameter controls derived from ``model.params.PARAM_SPECS``;
* :mod:`viz.events` — the event editor's fields, choices and checked edits;
* :mod:`viz.network` — the aggregated network and ego samples, with seeded layouts cached per graph;
* :mod:`viz.figures` — matplotlib (Agg) figures; :mod:`viz.experiments` — compare and replicates;
* :mod:`viz.offline` — serving without any CDN; :mod:`viz.cli` — the ``viz`` command;
* :mod:`viz.testing` — the app server and Chromium for browser tests;
* :mod:`viz.exercise` — exercise presets (``?exercise=NAME``).
"""
