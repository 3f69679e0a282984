"""``python -m runoff_abm.viz``: serve the app (see :mod:`runoff_abm.viz.cli`)."""

from runoff_abm.viz.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
