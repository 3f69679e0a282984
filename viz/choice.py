"""A labelled choice from a list, as the browser's own ``<select>``.

Vuetify 2's ``v-select`` nests a focusable input inside an element with ``role="button"`` (an
accessibility error that axe reports as *serious*) and opens a menu that is awkward on a phone.
:class:`ChoiceWidget` (template ``choice.vue``, shipped in the package) is a native ``<select>``
inside its ``<label>``: keyboard, screen reader and phone pickers work as users expect. The chosen
value comes back as text; :func:`Choice` calls ``on_value`` only for a value in the list (a page
cannot send anything else through it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import solara
import traitlets
from ipyvuetify import VuetifyTemplate

__all__ = ["ChoiceWidget", "Choice"]


class ChoiceWidget(VuetifyTemplate):
    """A native ``<select>`` with a visible label."""

    template_file = (__file__, "choice.vue")
    label = traitlets.Unicode("").tag(sync=True)
    items = traitlets.List(traitlets.Unicode()).tag(sync=True)
    value = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    placeholder = traitlets.Unicode("choose…").tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)
    class_ = traitlets.Unicode("").tag(sync=True)


@solara.component
def Choice(label: str, value: str | None, values: Sequence[str], on_value: Callable[[str], object] | None = None,
           classes: Sequence[str] = (), disabled: bool = False):
    """A labelled native select.

    Args:
        label: the visible label (also the control's accessible name).
        value: the current choice (None: nothing chosen).
        values: the choices, as text.
        on_value: called with a newly chosen value (only values from ``values``).
        classes: CSS classes on the control's box (for styles and tests).
        disabled: whether the control is disabled.
    """
    items = [str(x) for x in values]

    def changed(new: str | None) -> None:
        if on_value is not None and new in items and new != value:
            on_value(new)

    return ChoiceWidget.element(label=label, items=items, value=None if value is None else str(value),
                                on_value=changed, disabled=disabled, class_=" ".join(classes))
