"""Upload a scenario file: a button (a file picker) and a drop zone, with the size checked first.

Solara's ``FileDrop`` accepts drag and drop only and shows a dropped file's name as if it had been
loaded. :class:`UploadWidget` (template ``upload.vue``, shipped in the package: nothing from a
CDN) offers an *Upload a scenario file* button as well as dropping, and shows no file name: the
app says itself whether the file was loaded or why not. :func:`UploadZone` asks ``allowed(name,
size)`` before any byte is transferred (a file over the upload limit is refused without reading
it), then reads the file in a thread and hands ``(name, bytes)`` to ``on_file``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, cast

import solara
import traitlets
from ipyvue import Template
from ipyvuetify.extra import FileInput
from ipywidgets import widget_serialization

__all__ = ["UploadWidget", "UploadZone"]

logger = logging.getLogger(__name__)


class UploadWidget(FileInput):
    """A file input with a button and a drop zone (one file at a time)."""

    template = traitlets.Instance(Template).tag(sync=True, **widget_serialization)
    template_file = (__file__, "upload.vue")
    label = traitlets.Unicode().tag(sync=True)
    multiple = traitlets.Bool(False).tag(sync=True)


@solara.component
def UploadZone(label: str, allowed: Callable[[str, int], bool], on_file: Callable[[str, bytes], Any]):
    """The upload button and drop zone.

    Args:
        label: the hint beside the button (e.g. "…or drop a .toml file here").
        allowed: called with the file's name and size before transfer; False refuses it.
        on_file: called (in a thread) with the file's name and content (None if the transfer broke
            off).
    """
    file_info, set_file_info = solara.use_state(cast(Any, None))
    wired, set_wired = solara.use_state(cast(Any, None))
    zone = UploadWidget.element(label=label, on_file_info=set_file_info)

    def wire():
        if not file_info:
            return
        real = cast(UploadWidget, solara.get_widget(zone))
        real.version += 1
        real.reset_stats()
        first = file_info[0]
        if not allowed(str(first.get("name", "")), int(first.get("size", 0))):
            set_wired(None)
            return
        set_wired(real.get_files()[:1])

    solara.use_effect(wire, [file_info])

    def read(cancel: threading.Event):
        if not wired:
            return
        f = wired[0]
        try:
            data = f["file_obj"].read()
        except Exception:  # noqa: BLE001 - a transfer that broke off (tab closed, timeout)
            logger.warning("upload of %r broke off", f.get("name"), exc_info=True)
            data = None
        on_file(str(f["name"]), data)

    solara.use_thread(read, [wired])
    return zone
