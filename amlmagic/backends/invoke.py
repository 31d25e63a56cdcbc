"""`invoke` of MLClient's online and batch endpoint groups, each call with headers of its own.

azure-ai-ml 1.35 builds the scoring request's headers by writing into one class-level dict
(`EndpointInvokeFields.DEFAULT_HEADER`) that every invoke of either group reuses: once a call
named a deployment (`azureml-model-deployment`), every later call that names none sends it
too, so it skips the endpoint's default deployment (batch) or its traffic rules (online), even on
another endpoint. Here the dict is put back to its pristine content before each call.
"""

from __future__ import annotations

import threading
from typing import Any

from .errors import translating
from .wrap import TranslatedOperations, translate_result

__all__ = ["InvokingOperations"]

_PRISTINE = {"Content-Type": "application/json"}
_LOCK = threading.Lock()  # the dict is shared: one invoke at a time prepares and sends it


class InvokingOperations(TranslatedOperations):
    """An endpoint group whose `invoke` starts from azure-ai-ml's pristine headers."""

    def invoke(self, endpoint_name: str, *args: Any, **kwargs: Any) -> Any:
        from azure.ai.ml.constants._endpoint import EndpointInvokeFields

        with _LOCK, translating():
            EndpointInvokeFields.DEFAULT_HEADER.clear()
            EndpointInvokeFields.DEFAULT_HEADER.update(_PRISTINE)
            return translate_result(self.inner.invoke(endpoint_name, *args, **kwargs))
