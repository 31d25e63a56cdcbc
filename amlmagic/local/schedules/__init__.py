"""Job schedules on this machine: the `client.schedules` group (`operations.py`), the schedule
records and their firing state (`records.py`), what a slot submits (`firing.py`), and the detached
scheduler that fires enabled schedules at their times (`scheduler.py`, started by `control.py`).

This package sits above `local/operations`: a schedule submits its jobs through `client.jobs`.
"""
