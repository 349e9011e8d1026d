"""tui-dl: train neural networks with PyTorch from a keyboard-driven terminal UI."""

__version__ = "0.1.0"
