"""A run as the user knows it: one `RunSession` owning a trainer and its record, the run folder written as it
trains (`recorder`), its lock, runs read back and listed (`listing`), labelled side by side and exported; the
events as JSON for a run in another process (`wire`), the CPU shared among live runs, and a run's numbers as
text for the CLI and the UI.

Imports the shared modules, `data`, `insights` and `training`.
"""
