"""Docs that cannot drift: every quoted command output is what the code prints now
(``docs/generate.py --check``), and every relative link and repository path named in README.md
and docs/*.md exists in a clean clone (the files git tracks)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "docs" / "case").glob("*.md"))]
#: Top-level folders of the repository: a backticked token starting with one is a repository path.
REPO_DIRS = ("model/", "agents/", "scenarios/", "studies/", "viz/", "runoff/", "tests/", "benchmarks/",
             "exercises/", "docs/", ".ci/", "shared/", "../")


def tracked() -> set[str]:
    """Files (and their folders) a clean clone has: ``git ls-files``, or every file without git."""
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=True).stdout
        files = set(out.split())
    except (OSError, subprocess.CalledProcessError):  # pragma: no cover - not a git checkout
        files = {str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file() and ".venv" not in p.parts}
    dirs = {str(Path(f).parents[i]) for f in files for i in range(len(Path(f).parents) - 1)}
    return files | dirs


def resolves(target: str, doc: Path, clone: set[str]) -> bool:
    """Whether ``target`` (relative to ``doc``'s folder, or to the repository root) is in ``clone``."""
    target = target.split("#", 1)[0].split("::", 1)[0].rstrip("/")  # a test id: its file
    if not target:
        return True
    for base in (doc.parent, ROOT):
        full = (base / target).resolve()
        try:
            rel = str(full.relative_to(ROOT))
        except ValueError:
            continue  # outside the repository: not in a clone
        if any(ch in rel for ch in "*?["):
            import fnmatch

            if any(fnmatch.fnmatch(f, rel) for f in clone):
                return True
        elif rel in clone or rel == ".":
            return True
    return False


def references(doc: Path) -> list[tuple[str, str]]:
    """(kind, target) of every relative Markdown link and every backticked repository path."""
    text = doc.read_text(encoding="utf-8")
    text_no_code = re.sub(r"```.*?```", "", text, flags=re.S)
    out = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text_no_code):
        if not re.match(r"^[a-z]+:|^#|^mailto:", target):
            out.append(("link", target))
    for token in re.findall(r"`([^`\s]+)`", text_no_code):
        token = token.rstrip(".,;:)")
        if token.startswith(REPO_DIRS) and not re.search(r"[A-Z]{3,}|<|\{", token):  # not a placeholder
            out.append(("path", token))
    return out


@pytest.mark.parametrize("doc", DOCS, ids=[str(d.relative_to(ROOT)) for d in DOCS])
def test_every_link_and_repository_path_resolves_in_a_clean_clone(doc):
    clone = tracked()
    missing = [f"{kind} {target}" for kind, target in references(doc) if not resolves(target, doc, clone)]
    assert not missing, f"{doc.relative_to(ROOT)}: not in a clean clone: {missing}"


def test_the_docs_cite_the_case_record_in_the_repository():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    odd = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    assert "docs/case/labor-2011.md" in readme and "case/labor-2011.md" in odd
    for path in (ROOT / "docs" / "case" / "labor-2011.md", ROOT / "docs" / "case" / "other-runoffs.md"):
        text = path.read_text(encoding="utf-8")
        assert "66,310" in text if path.name == "labor-2011.md" else "Hollande" in text
    for doc in DOCS + sorted((ROOT / "scenarios").glob("*.toml")):
        text = doc.read_text(encoding="utf-8")
        assert "shared/case" not in text and "/work/" not in text, doc


def test_every_quoted_output_is_generated_and_current(tmp_path):
    """``docs/generate.py --check`` regenerates every block (small runs) and compares."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, str(ROOT / "docs" / "generate.py"), "--check"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"stale docs (run .venv/bin/python docs/generate.py):\n{proc.stdout[-6000:]}\n" \
                                 f"{proc.stderr[-3000:]}"


def test_generated_blocks_are_in_place():
    text = "".join(d.read_text(encoding="utf-8") for d in DOCS)
    for name in ("run-labor-2011", "run-replicates", "rerun", "run-error", "describe-example", "run-example",
                 "scenario-errors", "analyze-example", "params-markdown"):
        assert f"<!-- generated:{name} " in text, name
