"""Metrics as short human text, the same in the CLI and the UI."""

from __future__ import annotations

from tui_dl.i18n import N_, _

TEST_FORMATS = {"test_loss": (N_("loss"), ".4f"), "test_acc": (N_("acc"), ".1%"), "test_mae": ("mae", ".4g"),
                "test_r2": ("r2", ".3f")}  # metric key: its short name shown (translated), its format


def format_test(test: dict[str, float]) -> str:
    """The test split's metrics as one line: `test: loss 0.0811  acc 96.7%`."""
    return _("test: {metrics}").format(metrics="  ".join(
        f"{_(TEST_FORMATS[k][0])} {v:{TEST_FORMATS[k][1]}}" for k, v in test.items() if k in TEST_FORMATS))
