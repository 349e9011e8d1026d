"""Runs that outlive the UI: each run in its own process, found, watched and controlled through its run folder.

`process` is that process; `server` and `client` speak over its control socket (`protocol`); `launch` starts
one; `threads` shares the CPU among live runs. Whether a run's process is alive is `engine.runs.lock`.
"""
