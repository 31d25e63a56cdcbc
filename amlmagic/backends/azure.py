"""Build the azure and replay backends: an `AzureMLClient` (adapter.py) over azure-ai-ml's MLClient.

    connect_azure(subscription_id=..., resource_group=..., workspace=...)   # or config_path=
    connect_azure(..., record_path="session.json")                          # record the traffic
    connect_replay(["session.json"])                                        # answer from it

azure.ai.ml and azure.identity are imported inside the functions: `%load_ext amlmagic` stays fast.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

from ..errors import BackendError, UsageError

__all__ = ["connect_azure", "connect_replay", "backend_name", "stop_replay", "StaticTokenCredential"]

_BACKEND_ATTR = "_amlmagic_backend"
_SCOPE = re.compile(
    r"/subscriptions/([^/?]+)/resourceGroups/([^/?]+)/providers/Microsoft\.MachineLearningServices/workspaces/([^/?]+)",
    re.IGNORECASE,
)
_ARM_SCOPE = "https://management.azure.com/.default"

# The one replay that answers `requests` traffic outside MLClient's transport (blob clients),
# and the one recorder that records it: a new connect replaces them.
_active_replay_hook = None
_active_recorder = None


def _unsigned_token(scopes: tuple[str, ...], expires_on: int) -> str:
    """An unsigned JWT for the scope's resource: azure-ai-ml decodes the token it sends with a
    pipeline job and checks its audience (`_set_headers_with_user_aml_token`)."""
    import base64
    import json

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    audience = (scopes[0] if scopes else _ARM_SCOPE).removesuffix("/.default").removesuffix(".default")
    claims = {"aud": audience, "tid": "00000000-0000-0000-0000-000000000000", "exp": expires_on}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


class StaticTokenCredential:
    """A credential for replay: a fixed fake token, no identity service involved."""

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken

        expires_on = int(time.time()) + 3600
        return AccessToken(_unsigned_token(scopes, expires_on), expires_on)

    def get_token_info(self, *scopes, options=None):
        from azure.core.credentials import AccessTokenInfo

        expires_on = int(time.time()) + 3600
        return AccessTokenInfo(_unsigned_token(scopes, expires_on), expires_on)


def backend_name(client) -> str:
    """"azure" or "replay" for a client built here; "local" for anything else that says so."""
    return getattr(client, "backend", None) or getattr(client, _BACKEND_ATTR, "azure")


def _device_code_prompt(show: Callable[[str], Any]):
    def prompt(verification_uri, user_code, expires_on):
        show(f"To sign in to Azure, open {verification_uri} and enter the code {user_code} (it expires at {expires_on}).")

    return prompt


def _credential(show: Callable[[str], Any]):
    """DefaultAzureCredential when it can get a token; else device-code login, whose code and
    URL are shown through `show` (the notebook output) rather than on a terminal."""
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import DefaultAzureCredential, DeviceCodeCredential

    default = DefaultAzureCredential(exclude_interactive_browser_credential=True)
    try:
        default.get_token(_ARM_SCOPE)
        return default
    except ClientAuthenticationError:
        show("No Azure login found (az login, environment or managed identity): using device-code login.")
        return DeviceCodeCredential(prompt_callback=_device_code_prompt(show))


def connect_azure(
    *,
    subscription_id: str | None = None,
    resource_group: str | None = None,
    workspace: str | None = None,
    config_path: str | Path | None = None,
    record_path: str | Path | None = None,
    credential=None,
    show: Callable[[str], Any] = print,
    **client_kwargs,
):
    """An AzureMLClient on a real workspace. `client_kwargs` go to MLClient (e.g. cloud settings)."""
    global _active_recorder
    from azure.ai.ml import MLClient

    stop_replay()
    ids = (subscription_id, resource_group, workspace)
    if config_path is None and not all(ids):
        if any(ids):
            raise UsageError("Give all of --subscription, --resource-group and --workspace, or --config PATH.")
    credential = credential or _credential(show)
    kwargs = dict(client_kwargs)
    recorder = None
    if record_path is not None:
        from .record import Recorder

        recorder = Recorder(record_path)
        kwargs["transport"] = recorder.transport()
        recorder.start()
        _active_recorder = recorder
    try:
        if all(ids):
            client = MLClient(credential, subscription_id, resource_group, workspace, **kwargs)
        else:
            client = _from_config(MLClient, credential, config_path, kwargs)
    except BaseException:
        if recorder:
            recorder.stop()
        raise
    from .adapter import AzureMLClient

    setattr(client, _BACKEND_ATTR, "azure")
    return AzureMLClient(client, "azure")


def _from_config(MLClient, credential, config_path, kwargs):
    """Like MLClient.from_config (which also searches the working folder and its parents, and
    `.azureml/` folders, for config.json when no path is given), with a one-line error."""
    try:
        if config_path is None:
            return MLClient.from_config(credential, **kwargs)
        return MLClient.from_config(credential, path=str(config_path), **kwargs)
    except Exception as exc:  # azure-ai-ml raises ValidationException with a long text
        if type(exc).__name__ not in ("ValidationException", "FileNotFoundError", "ValueError"):
            raise
        where = config_path or "the working folder or its parents"
        raise UsageError(
            f"No usable workspace config.json in {where}: download it from Azure ML studio, or pass "
            "--subscription, --resource-group and --workspace."
        ) from None


def _scope_of(entries: list[dict]) -> tuple[str, str, str]:
    found = Counter(m.groups() for e in entries for m in [_SCOPE.search(e.get("RequestUri", ""))] if m)
    if not found:
        raise BackendError("The recordings name no workspace (no /subscriptions/.../workspaces/... URI): record a session with --record.")
    return found.most_common(1)[0][0]


def connect_replay(paths: list[str | Path]):
    """An AzureMLClient whose every request is answered from the recordings, in order; nothing
    reaches the network. Subscription, resource group and workspace come from the recorded URIs."""
    global _active_replay_hook
    from azure.ai.ml import MLClient

    from .replay.matching import Player
    from .replay.recording import load_recording
    from .replay.transport import ReplayHook, ReplayTransport, install_hook

    if isinstance(paths, (str, Path)):
        paths = [paths]
    if not paths:
        raise UsageError("Give at least one recording: %aml connect --replay FILE [FILE ...].")
    entries: list[dict] = []
    for path in paths:
        entries.extend(load_recording(path)["Entries"])
    player = Player(entries, sources=[Path(p).name for p in paths])
    subscription_id, resource_group, workspace = _scope_of(entries)

    stop_replay()
    hook = ReplayHook(player)
    install_hook(hook)
    _active_replay_hook = hook
    client = MLClient(
        StaticTokenCredential(),
        subscription_id,
        resource_group,
        workspace,
        transport=ReplayTransport(player),
        polling_interval=0,  # long-running operations: no 30 s sleeps between polls
        enable_telemetry=False,
    )
    from .adapter import AzureMLClient

    setattr(client, _BACKEND_ATTR, "replay")
    client._amlmagic_player = player
    return AzureMLClient(client, "replay", poll_interval=0)  # replayed polls answer at once


def stop_replay() -> None:
    """Stop the active replay and recorder (every connect does it before switching client)."""
    global _active_replay_hook, _active_recorder
    if _active_recorder is not None:
        _active_recorder.stop()
        _active_recorder = None
    if _active_replay_hook is not None:
        from .replay.transport import remove_hook

        remove_hook(_active_replay_hook)
        _active_replay_hook = None
