"""Where a workspace's activity log lives (our rule, docs/mlops.md "Audit trail").

- local: in the workspace folder, `<workspace>/activity.jsonl`;
- azure: one file per Azure workspace on this machine,
  `$AMLMAGIC_HOME/activity/<subscription>/<resource group>/<workspace>/activity.jsonl`
  (`AMLMAGIC_HOME` defaults to `~/.amlmagic`), shared by every notebook and process that talks
  to that workspace from here;
- replay: a fresh temporary folder per connection (replayed traffic is a test fixture: it must
  not add lines to the log of the real workspace it was recorded from, nor to the user's home).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

__all__ = ["LOG_NAME", "local_log_path", "azure_log_path", "replay_log_path", "amlmagic_home"]

LOG_NAME = "activity.jsonl"


def amlmagic_home() -> Path:
    return Path(os.environ.get("AMLMAGIC_HOME") or Path.home() / ".amlmagic").expanduser()


def _segment(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", str(text or "unknown")).lower() or "unknown"


def local_log_path(workspace_root: Path) -> Path:
    return Path(workspace_root) / LOG_NAME


def azure_log_path(subscription_id: str, resource_group: str, workspace: str) -> Path:
    return amlmagic_home() / "activity" / _segment(subscription_id) / _segment(resource_group) / _segment(workspace) / LOG_NAME


def replay_log_path() -> Path:
    return Path(tempfile.mkdtemp(prefix="amlmagic-replay-activity-")) / LOG_NAME
