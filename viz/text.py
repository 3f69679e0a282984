"""A little Markdown for the app's own texts (exercise instructions, scenario descriptions), as
escaped HTML.

Solara's ``Markdown`` component loads KaTeX and Mermaid from its CDN path in the browser, which
this offline app does not ship; the texts here need only paragraphs, numbered and bulleted
lists, ``**bold**``, ``*italic*`` and ``code``. Everything is escaped first, so a scenario's
description (which may come from an uploaded file) cannot inject markup.
"""

from __future__ import annotations

import re

from runoff_abm.viz.svg import escape

__all__ = ["markdown_html"]

_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*([^*\s][^*]*)\*(?![*\w])")
_NUMBERED = re.compile(r"^\s*\d+\.\s+")
_BULLET = re.compile(r"^\s*[-*]\s+")


def _inline(text: str) -> str:
    out = escape(text)
    out = _CODE.sub(r"<code>\1</code>", out)
    out = _BOLD.sub(r"<strong>\1</strong>", out)
    return _ITALIC.sub(r"<em>\1</em>", out)


def markdown_html(text: str) -> str:
    """``text`` (a small Markdown subset) as HTML: paragraphs, ``1.`` and ``-`` lists, bold,
    italic and code spans; everything else is shown as written."""
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    kind = ""

    def flush() -> None:
        nonlocal paragraph, items, kind
        if paragraph:
            blocks.append(f"<p>{_inline(' '.join(paragraph))}</p>")
        if items:
            tag = "ol" if kind == "ol" else "ul"
            blocks.append(f"<{tag}>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + f"</{tag}>")
        paragraph, items, kind = [], [], ""

    for line in text.strip().splitlines():
        if not line.strip():
            flush()
            continue
        numbered, bullet = _NUMBERED.match(line), _BULLET.match(line)
        if numbered or bullet:
            this = "ol" if numbered else "ul"
            if paragraph or (items and kind != this):
                flush()
            kind = this
            marker = numbered or bullet
            assert marker is not None
            items.append(line[marker.end():].strip())
        elif items and line.startswith((" ", "\t")):
            items[-1] += " " + line.strip()
        else:
            if items:
                flush()
            paragraph.append(line.strip())
    flush()
    return "".join(blocks)
