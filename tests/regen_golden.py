"""Regenerate the regression goldens in tests/golden/ (run after an intended change of results).

    .venv/bin/python tests/regen_golden.py

Each golden is the JSON result of a small run (2,000 members, seed 7) of a built-in scenario,
with the version field removed. The regression test compares a fresh run with it exactly, so
any change of results, intended or not, shows up as a diff to review and commit.
"""

from __future__ import annotations

import json
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = {name: name for name in ("labor-2011", "labor-2011-herzog-endorses-yachimovich", "labor-2011-endogenous")}
MEMBERS, SEED = 2000, 7


def golden_dict(scenario: str) -> dict:
    from runoff_abm.model.api import run

    d = run(scenario, seed=SEED, members=MEMBERS).to_dict()
    d.pop("version")
    return json.loads(json.dumps(d))  # normalise tuples etc. as JSON would


def main() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for name, scenario in CASES.items():
        path = GOLDEN / f"{name}.json"
        path.write_text(json.dumps(golden_dict(scenario), indent=1, sort_keys=True) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
