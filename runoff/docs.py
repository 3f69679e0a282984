"""Generated blocks of the documentation: ``python -m runoff_abm.docs [--check] [ROOT]``.

Parts of the docs are derived from the code's declarations, so they cannot drift: each lives in
a file between ``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->`` and is rewritten by
this module (``--check`` only reports blocks that differ, exit 1). Blocks:

- ``events`` in ``docs/scenarios.md``: the event kinds and their fields (``model/events.py``);
- ``params`` in ``docs/ODD.md``: the parameter table (``model/params.py``).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["BLOCKS", "render", "update", "main"]


def _events() -> str:
    from runoff_abm.model.events import markdown_reference

    return markdown_reference()


def _params() -> str:
    from runoff_abm.model.params import markdown_table

    return markdown_table() + "\n"


#: block name -> (file relative to the repository root, generator of the block's text)
BLOCKS: dict[str, tuple[str, Callable[[], str]]] = {
    "events": ("docs/scenarios.md", _events),
    "params": ("docs/ODD.md", _params),
}


def render(text: str, name: str, body: str) -> str:
    """``text`` with block ``name`` replaced by ``body`` (the markers kept)."""
    pattern = re.compile(rf"(<!-- generated:{re.escape(name)} -->\n).*?(<!-- /generated:{re.escape(name)} -->)",
                         re.DOTALL)
    if not pattern.search(text):
        raise KeyError(f"no block {name!r} (markers <!-- generated:{name} --> ... <!-- /generated:{name} -->)")
    return pattern.sub(lambda m: m.group(1) + body + m.group(2), text)


def update(root: Path, check: bool = False) -> list[str]:
    """Rewrite (or, with ``check``, compare) every block under ``root``; returns the stale ones."""
    stale = []
    for name, (rel, make) in BLOCKS.items():
        path = root / rel
        old = path.read_text(encoding="utf-8")
        new = render(old, name, make())
        if new != old:
            stale.append(f"{rel}: {name}")
            if not check:
                path.write_text(new, encoding="utf-8")
    return stale


def main(argv: list[str] | None = None) -> int:
    """Command line: rewrite the generated blocks, or check them with ``--check``."""
    parser = argparse.ArgumentParser(prog="python -m runoff_abm.docs", description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=".", help="repository root (default: .)")
    parser.add_argument("--check", action="store_true", help="only report stale blocks (exit 1 if any)")
    args = parser.parse_args(argv)
    stale = update(Path(args.root), check=args.check)
    for item in stale:
        print(("stale: " if args.check else "rewrote: ") + item)
    return 1 if (stale and args.check) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
