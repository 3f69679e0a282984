"""``python -m viz``: serve the app (see :mod:`viz.cli`); ``make viz`` calls this."""

from viz.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
