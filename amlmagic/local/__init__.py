"""The local backend: Azure ML semantics on this machine, state on disk in the workspace folder."""
