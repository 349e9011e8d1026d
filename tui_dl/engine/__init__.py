"""The training engine: data, model, trainer, checkpoints. Imports no Textual."""
