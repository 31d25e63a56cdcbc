"""The local job engine: submit (plan.py), the detached runner (runner.py), command expressions,
environments, compute slots and thread shares (scheduling.py), status files (state.py).
Nothing heavy is imported here."""

__all__: list[str] = []
