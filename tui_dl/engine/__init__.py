"""The training engine: everything a run needs, headless. Nothing below here imports Textual.

Packages, lowest first; each imports only the shared modules here and the packages before it
(`tests/test_layers.py` enforces the order):

- `config`, `errors`, `events`, `model`, `system`: the shared modules (settings as typed dataclasses, the
  errors a user can fix, the events a run emits, the MLP, the machine's load);
- `data`: data sets, from their sources to standardized tensors on the device;
- `insights`: what the teaching views draw, computed from any model and its prepared data;
- `training`: the loop, its state, control and checkpoints;
- `runs`: a run owned in one place, recorded to its folder, read back, labelled and exported;
- `use`: a trained model put to use: predictions, ONNX, a standalone script.
"""
