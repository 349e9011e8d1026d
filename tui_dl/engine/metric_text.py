"""Metrics as short human text, the same in the CLI and the UI."""

from __future__ import annotations

TEST_FORMATS = {"test_loss": ("loss", ".4f"), "test_acc": ("acc", ".1%"), "test_mae": ("mae", ".4g"),
                "test_r2": ("r2", ".3f")}


def format_test(test: dict[str, float]) -> str:
    """The test split's metrics as one line: `test: loss 0.0811  acc 96.7%`."""
    return "test: " + "  ".join(f"{TEST_FORMATS[k][0]} {v:{TEST_FORMATS[k][1]}}" for k, v in test.items()
                                if k in TEST_FORMATS)
