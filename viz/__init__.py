"""The interactive browser app (Solara), started by ``runoff viz``, ``python -m runoff_abm.viz`` or ``make viz``.

It imports ``model``, ``agents`` and ``scenarios``; nothing in the core imports it. Modules:

* :mod:`runoff_abm.viz.app` — the page (one :class:`~runoff_abm.viz.state.AppState` per browser session) and its
  responsive layout;
* :mod:`runoff_abm.viz.state` — per-session state and every user action (quick ones at once, long ones in Solara
  threaded tasks within the server's limits); bad input becomes a problem shown at its field;
* :mod:`runoff_abm.viz.session` — settings, the session's model, immutable snapshots, finished runs, uploads;
* :mod:`runoff_abm.viz.controls` / :mod:`runoff_abm.viz.views` — the components (settings; run bar, result, tabs);
* :mod:`runoff_abm.viz.charts` — chart specs from snapshots; :mod:`runoff_abm.viz.svg` draws them as inline SVG,
  :mod:`runoff_abm.viz.figures` as PNG (export only);
* :mod:`runoff_abm.viz.flows` — where each round-1 group is heading (the voters view);
* :mod:`runoff_abm.viz.param_controls` — parameter controls derived from ``PARAM_SPECS``;
* :mod:`runoff_abm.viz.events` — the event editor's fields, choices, kind changes and checked edits;
* :mod:`runoff_abm.viz.naming` — run names from edits; :mod:`runoff_abm.viz.messages` — what a student reads;
* :mod:`runoff_abm.viz.experiments` — compare and replicates; :mod:`runoff_abm.viz.exports` — CSV and TOML;
* :mod:`runoff_abm.viz.share` — shareable links; :mod:`runoff_abm.viz.limits` — the server's limits per session;
* :mod:`runoff_abm.viz.upload`, :mod:`runoff_abm.viz.choice`, :mod:`runoff_abm.viz.text` — upload, native select,
  the app's small Markdown;
* :mod:`runoff_abm.viz.offline` — serving without any CDN; :mod:`runoff_abm.viz.cli` — the ``viz`` command;
* :mod:`runoff_abm.viz.testing` — the app server, Chromium and a class of browsers for tests and benchmarks;
* :mod:`runoff_abm.viz.exercise`, :mod:`runoff_abm.viz.presets`, :mod:`runoff_abm.viz.exercise_rules` — exercise
  mode (``?exercise=NAME``) and exercise 5's rules.
"""
