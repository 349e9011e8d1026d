"""Dialogs fit their text: a long question wraps inside the dialog at any terminal size."""

from __future__ import annotations

import pytest

from tui_dl.ui.app import make_app
from tui_dl.ui.screens.dialogs import ChoiceDialog

QUESTION = ("20261201-135051-spiral is training in its own process. Quit and leave it training (come back with "
            "`tui-dl attach 20261201-135051-spiral`, or F10 then a), or stop it first?")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_a_long_question_wraps_inside_its_dialog(size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        app.push_screen(ChoiceDialog(QUESTION, [("l", "leave it training", "leave"), ("c", "cancel", None)], "leave"))
        await pilot.pause()
        question = app.screen.query_one("#question")
        dialog = app.screen.query_one(".dialog")
        assert question.region.width <= dialog.content_region.width
        assert question.region.height * question.region.width >= len(QUESTION)  # room for every character
        assert question.region.bottom <= dialog.content_region.bottom
