"""``python -m benchmarks.loader``: the scenario loader is linear, and refuses oversize files fast.

Times the loader on scenarios of growing size (contractors and events up to the default limits,
``runoff_abm.model.limits``), and on files far beyond the limits (100,000 candidates, a TOML
file nested 500 deep), and prints each time with the ratio to the previous, half-size case: a
linear loader shows ratios near 2, a quadratic one near 4. No assertion: the table is the result.
"""

from __future__ import annotations

import time

from runoff_abm.model.errors import ScenarioError
from runoff_abm.model.limits import DEFAULT_LIMITS
from runoff_abm.model.scenario import load_scenario_bytes


def scenario(contractors: int, events: int) -> bytes:
    """A valid scenario with ``contractors`` contractors and ``events`` offer events."""
    lines = ['name = "big"', f"roll = {10 * contractors + 1000}", "election_day = 9", 'finalists = ["A", "B"]',
             '[[candidates]]\nname = "A"\nvotes = 300', '[[candidates]]\nname = "B"\nvotes = 200',
             f'[[candidates]]\nname = "C"\nvotes = {contractors + 10}']
    lines += [f'[[contractors]]\nname = "k{i}"\npatron = "C"\nbloc = 1' for i in range(contractors)]
    lines += [f'[[events]]\nkind = "offer"\nday = {1 + i % 8}\nby = "A"\nto = "k{i % contractors}"'
              for i in range(events)]
    return ("\n".join(lines) + "\n").encode()


def timed(data: bytes, repeats: int = 3) -> tuple[float, str]:
    best, outcome = float("inf"), ""
    for _ in range(repeats):
        t = time.perf_counter()
        try:
            load_scenario_bytes(data, "bench.toml", limits=DEFAULT_LIMITS.replace(max_file_bytes=10**8))
            outcome = "loaded"
        except ScenarioError as err:
            outcome = "refused: " + err.message[:40]
        best = min(best, time.perf_counter() - t)
    return best, outcome


def main() -> None:
    print(f"{'case':<44}{'bytes':>11}{'seconds':>10}{'x previous':>12}  outcome")
    prev = None
    for k in (256, 512, 1024, 2048, 4096):
        data = scenario(k, k // 4)
        s, outcome = timed(data)
        ratio = f"{s / prev:.2f}" if prev else "-"
        print(f"{f'{k:,} contractors, {k // 4:,} events':<44}{len(data):>11,}{s:>10.4f}{ratio:>12}  {outcome}")
        prev = s
    many = "".join(f'[[candidates]]\nname = "c{i}"\nvotes = 1\n' for i in range(100_000))
    data = f'name = "many"\nroll = 1000000\nelection_day = 4\nfinalists = ["c0", "c1"]\n{many}'.encode()
    s, outcome = timed(data, 1)
    print(f"{'100,000 candidates':<44}{len(data):>11,}{s:>10.4f}{'-':>12}  {outcome}")
    data = ("x = " + "[" * 500 + "]" * 500).encode()
    s, outcome = timed(data)
    print(f"{'arrays nested 500 deep':<44}{len(data):>11,}{s:>10.4f}{'-':>12}  {outcome}")


if __name__ == "__main__":
    main()
