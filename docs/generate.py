"""Regenerate every command output quoted in the docs, so that none can drift from the code.

Each quoted output in README.md and docs/*.md sits between two marker comments::

    <!-- generated:NAME (docs/generate.py) -->
    ...the command lines and their exact output...
    <!-- /generated -->

and this script owns what is between them: it runs the commands (in-process, through
``runoff_abm.cli.main``, in a fresh temporary working directory, with the small member counts
the text states) and writes their output there.

    .venv/bin/python docs/generate.py            # rewrite every block
    .venv/bin/python docs/generate.py --check    # exit 1 and print a diff if any block is stale

``tests/test_docs.py`` runs ``--check``: a change of the code that changes a quoted output fails
the tests until the docs are regenerated (and reviewed). It takes about half a minute.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import os
import re
import shlex
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"(<!-- generated:(?P<name>[\w.-]+)[^>]*-->\n)(?P<body>.*?)(<!-- /generated -->)", re.S)


# ---------------------------------------------------------------------------- running commands
def runoff(argv: list[str]) -> tuple[int, str, str]:
    """Run ``runoff ARGV`` in this process; return (exit status, stdout, stderr)."""
    from runoff_abm.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def shown(command: str, *, expect: int = 0, head: int | None = None, stream: str = "stdout",
          comment: str = "") -> str:
    """``$ COMMAND`` and its output (stdout, or stderr for an error), as quoted in the docs.

    Args:
        command: the command line as a user types it (``runoff ...``; ``> FILE`` redirects stdout).
        expect: the exit status the command must have (the generator stops otherwise).
        head: show only the first ``head`` lines, then a line saying how many were left out.
        stream: ``stdout`` or ``stderr``.
        comment: a comment shown after the command.
    """
    words = shlex.split(command)
    assert words[0] == "runoff", command
    redirect = None
    if ">" in words:
        i = words.index(">")
        words, redirect = words[:i], words[i + 1]
    code, out, err = runoff(words[1:])
    if code != expect:
        raise SystemExit(f"docs/generate.py: `{command}` exited {code}, expected {expect}:\n{err}")
    text = err if stream == "stderr" else out
    if redirect:
        Path(redirect).write_text(out)
        text = ""
    lines = text.rstrip("\n").split("\n") if text else []
    if head is not None and len(lines) > head:
        lines = lines[:head] + [f"[... {len(lines) - head} more lines]"]
    prompt = f"$ {command}" + (f"        # {comment}" if comment else "")
    return "\n".join([prompt, *lines])


def fenced(*parts: str) -> str:
    return "```text\n" + "\n\n".join(parts) + "\n```\n"


def toml_block(doc: Path, must_contain: str) -> str:
    """The ```toml block of ``doc`` that contains ``must_contain``."""
    for m in re.finditer(r"```toml\n(.*?)```", doc.read_text(encoding="utf-8"), re.S):
        if must_contain in m.group(1):
            return m.group(1)
    raise SystemExit(f"docs/generate.py: no ```toml block with {must_contain!r} in {doc}")


def variant(text: str, old: str, new: str) -> str:
    """``text`` with the one occurrence of ``old`` replaced by ``new``."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


# ---------------------------------------------------------------------------- the blocks
def readme_run() -> str:
    return fenced(shown("runoff run labor-2011 --members 10000 --seed 3", head=24))


def readme_replicates() -> str:
    return fenced(shown("runoff run labor-2011 --members 5000 --replicates 40", head=24))


def readme_rerun() -> str:
    return fenced(shown("runoff run labor-2011 --members 3000 --set contractor_compliance=0.6 --json > result.json")
                  + "\n" + shown("runoff rerun result.json", head=5))


def readme_error() -> str:
    Path("broken.toml").write_text('base = "labor-2011"\nname = "broken"\n'
                                   'events = [{ kind = "endorse", day = 5, by = "Mitzna", for = "Herzog" }]\n')
    return fenced(shown("runoff run broken.toml", expect=2, stream="stderr"))


def _example() -> str:
    text = toml_block(ROOT / "docs" / "scenarios.md", 'name = "example"')
    Path("example.toml").write_text(text)
    return text


def scenarios_describe() -> str:
    _example()
    return fenced(shown("runoff describe example.toml"))


def scenarios_run() -> str:
    _example()
    return fenced(shown("runoff run example.toml --members 2000"))


BROKEN = [  # (file, what changed, old, new)
    ("broken1.toml", "abstained = 1900", "abstained = 1960", "abstained = 1900"),
    ("broken2.toml", 'strength misspelt "strenght"', "strength = 0.8", "strenght = 0.8"),
    ("broken3.toml", "the institution's endorsement moved to day 7", 'day = 4\nby = "Teachers union"',
     'day = 7\nby = "Teachers union"'),
    ("broken4.toml", "[parameters] influence_rate = 1.5", "influence_rate = 0.2", "influence_rate = 1.5"),
    ("broken5.toml", "bloc = 700 (Cohen has 600 votes)", "bloc = 150", "bloc = 700"),
    ("broken6.toml", "Cohen's votes line deleted", "votes = 600\n", ""),
    ("broken7.toml", "share = 0 in the activists' move", "share = 0.25", "share = 0"),
    ("broken8.toml", 'Cohen renamed "none"', 'name = "Cohen"', 'name = "none"'),
    ("broken9.toml", "two sectors whose shares add up to 0.99", 'finalists = ["Adler", "Barak"]',
     'finalists = ["Adler", "Barak"]\nsectors = [{ name = "north", share = 0.5 }, { name = "south", share = 0.49 }]'),
    ("broken10.toml", "a stray = after roll", "roll = 5000", "roll = = 5000"),
]


def scenarios_errors() -> str:
    text = _example()
    parts = []
    for name, what, old, new in BROKEN:
        Path(name).write_text(variant(text, old, new))
        parts.append(shown(f"runoff run {name} --members 2000", expect=2, stream="stderr", comment=what))
    parts.append(shown("runoff run labor-2101", expect=2, stream="stderr", comment="a misspelt built-in name"))
    parts.append(shown("runoff run example.toml --set influence_rat=0.2", expect=2, stream="stderr"))
    return fenced(*parts)


def studies_analyze() -> str:
    text = toml_block(ROOT / "docs" / "studies.md", 'name = "docs-example"')
    Path("docs-example.toml").write_text(text)
    code, _, err = runoff(["sweep", "docs-example.toml", "--out", "out/docs-example", "--serial", "--quiet"])
    if code:
        raise SystemExit(f"docs/generate.py: the example sweep failed:\n{err}")
    return fenced(shown("runoff analyze out/docs-example --no-plots"))


def odd_params() -> str:
    code, out, _ = runoff(["params", "--markdown"])
    assert code == 0
    return out


def scenarios_events() -> str:
    """The event reference: every kind declared in model/events.py with its fields."""
    from runoff_abm.model.events import markdown_reference

    return markdown_reference()


def readme_backtest() -> str:
    """The back-test figures, from the stored run in docs/backtest/ (rerun it with the command the
    README gives; the run takes minutes, this block only formats its CSV)."""
    import pandas as pd

    from runoff_abm.studies.backtest import markdown_summary

    return markdown_summary(pd.read_csv(ROOT / "docs" / "backtest" / "backtest.csv"))


def readme_backtest_seed_only() -> str:
    """The same back-test without the structural prior (stored in docs/backtest/seed-only/)."""
    import pandas as pd

    from runoff_abm.studies.backtest import markdown_overall

    return markdown_overall(pd.read_csv(ROOT / "docs" / "backtest" / "seed-only" / "backtest.csv"))


def readme_backtest_seeds() -> str:
    """The back-test's overall scores with master seeds 0, 1 and 2 (docs/backtest/ and
    docs/backtest/seeds/seed-N/, each rerun with ``--seed N``)."""
    import pandas as pd

    from runoff_abm.studies.backtest import markdown_seeds

    runs = {0: pd.read_csv(ROOT / "docs" / "backtest" / "backtest.csv")}
    for seed in (1, 2):
        runs[seed] = pd.read_csv(ROOT / "docs" / "backtest" / "seeds" / f"seed-{seed}" / "backtest.csv")
    return markdown_seeds(runs)


def studies_prior_forms() -> str:
    """The structural prior alone, leave-one-out, for each endorsement decay form (computed here:
    no model runs)."""
    from runoff_abm.studies.backtest import form_scores, markdown_forms

    return markdown_forms(form_scores())


BLOCKS: dict[str, Callable[[], str]] = {
    "events": scenarios_events,
    "run-labor-2011": readme_run, "run-replicates": readme_replicates, "rerun": readme_rerun,
    "run-error": readme_error, "describe-example": scenarios_describe, "run-example": scenarios_run,
    "scenario-errors": scenarios_errors, "analyze-example": studies_analyze, "params-markdown": odd_params,
    "backtest": readme_backtest, "backtest-seed-only": readme_backtest_seed_only,
    "backtest-seeds": readme_backtest_seeds, "prior-forms": studies_prior_forms,
}
DOCS = ["README.md", "docs/scenarios.md", "docs/studies.md", "docs/ODD.md", "docs/teaching.md"]


def generate(names: set[str] | None = None) -> dict[str, str]:
    """Every block's fresh content, made in a temporary working directory."""
    out = {}
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="runoff-docs-") as tmp:
        os.chdir(tmp)
        try:
            for name, fn in BLOCKS.items():
                if names is None or name in names:
                    out[name] = fn()
        finally:
            os.chdir(here)
    return out


def update(text: str, blocks: dict[str, str], doc: str) -> str:
    def sub(m: re.Match) -> str:
        name = m.group("name")
        if name not in BLOCKS:
            raise SystemExit(f"docs/generate.py: {doc}: unknown block {name!r}; known: {', '.join(BLOCKS)}")
        return m.group(1) + blocks.get(name, m.group("body")) + m.group(4)

    return MARKER.sub(sub, text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only compare; exit 1 with a diff if a block is stale")
    args = ap.parse_args(argv)
    used = {m.group("name") for d in DOCS for m in MARKER.finditer((ROOT / d).read_text(encoding="utf-8"))}
    missing = set(BLOCKS) - used
    if missing:
        print(f"docs/generate.py: blocks not placed in any doc: {', '.join(sorted(missing))}", file=sys.stderr)
        return 1
    blocks = generate()
    stale = []
    for d in DOCS:
        path = ROOT / d
        old = path.read_text(encoding="utf-8")
        new = update(old, blocks, d)
        if new == old:
            continue
        stale.append(d)
        if args.check:
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"{d} (in git)",
                                                       f"{d} (generated)", n=1))
        else:
            path.write_text(new, encoding="utf-8")
            print(f"docs/generate.py: rewrote {d}")
    if args.check and stale:
        print(f"\ndocs/generate.py --check: stale generated blocks in {', '.join(stale)}; run "
              "`.venv/bin/python docs/generate.py` and review the diff", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
