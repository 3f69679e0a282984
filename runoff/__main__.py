"""``python -m runoff_abm``: the command-line interface."""

from runoff_abm.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
