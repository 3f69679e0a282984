"""``python -m runoff``: the command-line interface."""

from runoff.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
