"""`EndpointTester(client, endpoint_name=None)`: choose an endpoint and deployment, send JSON
(or a digit drawn on a 28x28 canvas for MNIST), and see the answer and its latency."""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import traitlets as t

from ..errors import ValidationError
from ..files import write_text_atomic
from .base import AmlWidget
from .static import esc, fmt, html_card

__all__ = ["EndpointTester", "request_file_for"]

# Requests live beside each other, named by their content: the recorded `invoke --request-file`
# line can be re-run, and sending the same request again writes nothing new.
REQUEST_FOLDER = Path(tempfile.gettempdir()) / "amlmagic-requests"


def request_file_for(text: str) -> Path:
    """The file holding `text` (written once, atomically: a reader never sees half of it)."""
    path = REQUEST_FOLDER / f"request-{hashlib.sha256(text.encode()).hexdigest()[:16]}.json"
    if not path.exists():
        write_text_atomic(path, text)
    return path


class EndpointTester(AmlWidget):
    _kind = t.Unicode("endpoint_tester").tag(sync=True)
    endpoints = t.List(t.Dict()).tag(sync=True)
    endpoint = t.Unicode("").tag(sync=True)
    deployment = t.Unicode("").tag(sync=True)
    request_text = t.Unicode('{"data": [[1, 2, 3, 4]]}').tag(sync=True)
    response = t.Unicode("").tag(sync=True)
    latency_ms = t.Float(0).tag(sync=True)
    busy = t.Bool(False).tag(sync=True)

    def __init__(self, client: Any, endpoint_name: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.client = client
        self.do_refresh()
        if endpoint_name:
            self.endpoint = endpoint_name
        elif self.endpoints and not self.endpoint:
            self.endpoint = self.endpoints[0]["name"]

    def __repr__(self) -> str:
        return f"EndpointTester(endpoint={self.endpoint!r})"

    def do_refresh(self) -> None:
        rows = []
        for ep in self.client.online_endpoints.list():
            deployments = [d.name for d in self.client.online_deployments.list(ep.name)]
            rows.append({"name": ep.name, "deployments": deployments, "traffic": dict(getattr(ep, "traffic", None) or {})})
        self.endpoints = rows

    def do_select(self, endpoint: str | None = None, deployment: str | None = None) -> None:
        if endpoint is not None:
            self.endpoint, self.deployment = endpoint, ""
        if deployment is not None:
            self.deployment = "" if deployment == "(traffic)" else deployment

    def do_invoke(self, body: str | None = None) -> Any:
        """Send `body` (JSON text) to the chosen endpoint; the answer and latency land in traits."""
        text = self.request_text if body is None else body
        try:
            json.loads(text)
        except ValueError as exc:
            raise ValidationError(f"the request is not JSON ({exc}): fix it and send again") from None
        if not self.endpoint:
            raise ValidationError("no endpoint chosen: create one with %aml online-endpoint create")
        self.request_text = text
        path = str(request_file_for(text))
        self.busy = True
        try:
            started = time.perf_counter()
            answer = self.client.online_endpoints.invoke(
                endpoint_name=self.endpoint, request_file=path, deployment_name=self.deployment or None)
            latency = (time.perf_counter() - started) * 1000
        finally:
            self.busy = False
        if not isinstance(answer, str):
            answer = json.dumps(answer)
        with self.hold_sync():
            self.response, self.latency_ms = answer, round(latency, 1)
        self._did("online-endpoint", "invoke", None, n=self.endpoint, deployment_name=self.deployment or None,
                  request_file=path)
        return answer

    def do_set_traffic(self, traffic: dict) -> Any:
        """Set the chosen endpoint's traffic split {deployment: percent} (must sum to 100)."""
        split = {str(k): int(v) for k, v in (traffic or {}).items()}
        if sum(split.values()) != 100:
            raise ValidationError(f"traffic must sum to 100, not {sum(split.values())}: adjust the percentages")
        endpoint = self.client.online_endpoints.get(self.endpoint)
        endpoint.traffic = split
        updated = self.client.online_endpoints.begin_create_or_update(endpoint).result()
        text = " ".join(f"{k}={v}" for k, v in split.items())
        self._did("online-endpoint", "update", updated, n=self.endpoint, traffic=text)
        self.do_refresh()
        return updated

    def static_html(self) -> str:
        body = (f"<div>endpoint <code>{esc(self.endpoint or '—')}</code>"
                f"{' · deployment <code>' + esc(self.deployment) + '</code>' if self.deployment else ''}</div>")
        if self.response:
            body += (f"<div>answer in {esc(fmt(self.latency_ms))} ms</div>"
                     f"<pre class='aml-response'>{esc(self.response[:2000])}</pre>")
        return html_card("Endpoint tester", body, kind="aml-endpoint-tester")
