"""Which of a job's log files `az ml job stream` follows (azure-ai-ml 1.35.0
`JobLogPattern.COMMON_RUNTIME_STREAM_LOG_PATTERN`, `_get_sorted_filtered_logs`): the single
process's `user_logs/std_log.txt`, or rank 0's `std_log_process_00.txt` of a distributed job,
or a TensorFlow job's first parameter server `std_log_node_00_ps.txt`."""

from __future__ import annotations

import re

__all__ = ["STREAM_LOG_PATTERN", "SINGLE_PROCESS_LOG", "stream_log"]

STREAM_LOG_PATTERN = re.compile(r"user_logs/std_log[\D]*[0]*(?:_ps)?\.txt")
SINGLE_PROCESS_LOG = "std_log.txt"


def stream_log(names: list[str]) -> str:
    """The file name (in user_logs/) the stream shows, of the job's per-process `names`. Our rule:
    when none matches Azure's pattern (a TensorFlow job without parameter servers, where Azure's
    stream shows nothing from user_logs/), the first worker's."""
    matching = sorted(n for n in names if STREAM_LOG_PATTERN.match(f"user_logs/{n}"))
    if matching:
        return matching[0]
    return sorted(names)[0] if names else SINGLE_PROCESS_LOG
