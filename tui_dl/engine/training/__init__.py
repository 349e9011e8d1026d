"""Training one model: the device, the optimizer and regularization, the learning-rate schedule, the loop
(`trainer`) with its thread-safe control, evaluation and memory estimate, the state kept at each epoch's end,
and checkpoint files (atomic writes, safe loads).

Imports the shared modules, `data` and `insights` (the trainer computes the views it is asked for); knows
nothing of run folders or processes: it speaks to them through `engine.events`.
"""
