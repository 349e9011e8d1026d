"""The key bar: Textual's footer, ordered so the keys that matter on the current tab come first."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tui_dl.i18n import _
from tui_dl.ui.keys import PAUSED_ONLY, TAB_KEYS


class KeyBar(Footer):
    """F1 first, then the focused widget's keys, the current tab's (`TAB_KEYS`), and the rest as room allows.

    Keys only for a paused run (`PAUSED_ONLY`) are shown while `paused`. Labels show in the language in use.
    """

    tab = reactive("data", recompose=True)
    paused = reactive(False, recompose=True)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        first = TAB_KEYS.get(self.tab, ())
        shown, seen = [], set()
        for node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in seen and (self.paused or binding.id not in PAUSED_ONLY):
                seen.add(binding.action)
                shown.append((node is not self.app, binding, enabled, tooltip))

        def rank(item) -> tuple[int, int]:
            widget_key, binding = item[:2]
            if binding.id == "help":
                return (0, 0)
            if widget_key:
                return (1, 0)
            return (2, first.index(binding.id)) if binding.id in first else (3, 0)

        for _widget_key, binding, enabled, tooltip in sorted(shown, key=rank):  # a stable sort keeps the order within a rank
            label = _(binding.description)  # descriptions are English, marked where the bindings are made
            yield FooterKey(binding.key, self.app.get_key_display(binding), label, binding.action,
                            disabled=not enabled, tooltip=_(tooltip) if tooltip else label).data_bind(compact=Footer.compact)
