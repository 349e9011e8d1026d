"""Data sets, from their sources to tensors: the registry of built-in, shipped and users' data sets, the
synthetic generators, users' files (CSV read column by column, NPZ, IDX) and downloads, the column plan that
turns a table into features, the input features of a 2-D set, and the split into standardized tensors on the
training device.

Imports only the engine's shared modules (`config`, `errors`): data knows nothing of models or training.
"""
