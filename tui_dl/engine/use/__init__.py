"""A trained model put to use: rebuilt from a checkpoint with its preprocessing (`predictor`), applied to a
file of new rows (`predict`), exported to ONNX, or written out as one standalone PyTorch script that trains it
again (`script_export`, its loop and its templates).

Imports every other engine package; none imports it.
"""
