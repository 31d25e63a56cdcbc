"""A small fake of the Azure ML REST API (ARM resources, LRO polling, workspace discovery, run
history, MLflow tracking, online scoring, batch invocations) on 127.0.0.1, for record-mode tests and for
generating the project's recordings with the real SDK.

It is an in-memory resource store: PUT stores the body (adding id, name, systemData and the
fields Azure fills in), GET answers it or a 404 ARM error, GET of a collection lists it.
Pipeline jobs and their step runs: fake_pipelines.py.
"""

from __future__ import annotations

import datetime
import json
import ssl
import tempfile
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from fake_pipelines import FakePipelines

__all__ = ["FakeAzureML", "cloud_kwargs", "self_signed_cert"]


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (azure-core sends bearer tokens over https only)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path

_WS = "/subscriptions/{s}/resourcegroups/{r}/providers/microsoft.machinelearningservices/workspaces/{w}"
_LRO_KINDS = ("computes", "onlineendpoints", "batchendpoints", "deployments")


def cloud_kwargs(base_url: str, name: str) -> dict:
    """MLClient kwargs that point the resource manager at `base_url`."""
    return {
        "cloud": name,
        "cloud_metadata": {
            "azure_portal": base_url,
            "resource_manager": base_url + "/",
            "active_directory": base_url,
            "aml_resource_id": base_url + "/",
            "storage_endpoint": "core.windows.net",
            "registry_discovery_endpoint": base_url,
        },
    }


_SCORING_STEP = "batchscoring"  # the one step of a batch job's graph (amlmagic.rules.batch.SCORING_STEP)


def _error(status, code, message):
    return status, {"error": {"code": code, "message": message, "details": [], "additionalInfo": []}}


class FakeAzureML:
    def __init__(self, subscription="6c1d3a0e-8b9f-4d5e-a7c2-3f4b5e6d7a8b", resource_group="rg-demo", workspace="ws-demo"):
        self.subscription, self.resource_group, self.workspace = subscription, resource_group, workspace
        self.store: dict[str, dict] = {}
        self.requests: list[tuple[str, str]] = []
        self.metrics: dict[str, list[dict]] = {}  # run id -> MLflow metric points
        self.run_status: dict[str, list[str]] = {}  # run id -> statuses to walk through
        self.children: dict[str, list[dict]] = {}  # run id -> its child runs (a sweep's trials)
        self.rejects: dict[str, tuple[int, dict]] = {}  # lowercased path -> error answer for PUT
        self.failures: dict[tuple[str, str], tuple[int, dict]] = {}  # (method, lowercased path) -> error answer
        self.logs: dict[str, bytes] = {}  # run id -> its user_logs/std_log.txt, as written so far
        self.pipelines = FakePipelines(self)  # pipeline jobs' step runs
        self.log_files: dict[str, dict[str, bytes]] = {}  # run id -> {log path: text} (a batch scoring step's)
        self.batch_jobs: list[dict] = []  # what batch invocations answered, in order (list_jobs reads them)
        # What the deployed scoring script answers to a request body (the one endpoint of the fake).
        self.scorer = lambda body: {"echo": body, "prediction": [1, 0]}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._certs = tempfile.TemporaryDirectory()
        self.cert_path, key_path = self_signed_cert(Path(self._certs.name))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, key_path)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self._server.server_address[1]}"
        self.scope = _WS.format(s=subscription, r=resource_group, w=workspace).lower()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        self.put_raw(self.scope, {"name": self.workspace, "location": "westus2", "properties": {
            "discoveryUrl": self.url + "/discovery",
            "mlFlowTrackingUri": f"azureml://{self.url.split('://')[1]}/mlflow/v1.0{self.scope}"}})
        self.put_raw(self.scope + "/datastores/workspaceblobstore", {"name": "workspaceblobstore", "properties": {
            "datastoreType": "AzureBlob", "isDefault": True, "accountName": "demostorage0001",
            "containerName": "azureml-blobstore-1", "endpoint": "core.windows.net", "protocol": "https",
            "credentials": {"credentialsType": "AccountKey"}}})
        self.put_raw(self.scope + "/datastores/workspaceartifactstore", {"name": "workspaceartifactstore", "properties": {
            "datastoreType": "AzureBlob", "isDefault": False, "accountName": "demostorage0001",
            "containerName": "azureml", "endpoint": "core.windows.net", "protocol": "https",
            "credentials": {"credentialsType": "None"}}})
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._certs.cleanup()

    def put_raw(self, path: str, body: dict) -> None:
        path = path.lower()
        name = path.rsplit("/", 1)[-1]
        body = dict(body)
        body.setdefault("id", path)
        body.setdefault("name", name)
        self.store[path] = body

    def fail(self, method: str, path: str, status: int, code: str, message: str, details=(), target=None) -> None:
        """Answer `method path` (relative to the workspace when it does not start with /subscriptions)
        with an ARM error body, as Azure answers errors."""
        full = path if path.lower().startswith("/subscriptions") else f"{self.scope}/{path.lstrip('/')}"
        error = {"code": code, "message": message, "details": list(details), "additionalInfo": []}
        if target:
            error["target"] = target
        self.failures[(method, full.lower())] = (status, {"error": error})

    # -- request handling -----------------------------------------------------------------------
    def answer(self, method: str, url: str, body, headers=None):
        parts = urlsplit(url)
        original_path = parts.path.rstrip("/")
        path = original_path.lower()
        query = parse_qs(parts.query)
        if (method, path) in self.failures:
            return self.failures[(method, path)]
        if path == "/discovery":
            return 200, {"api": self.url, "catalog": self.url, "experimentation": self.url, "history": self.url}
        if path.startswith("/operations/"):
            return 200, {"status": "Succeeded"}
        if path.startswith("/logs/") and path.split("/")[2] in self.log_files:
            run_id, log = original_path.split("/", 3)[2:]
            return 200, self.log_files[run_id].get(log, b"")
        if path.startswith("/logs/"):
            run_id = path.split("/")[2]
            if self.pipelines.is_pipeline(run_id):
                return 200, self.pipelines.execution_log(run_id)
            if run_id in self.logs:  # a SAS URL of a log not written yet answers 404, as blob storage
                return (200, self.logs[run_id]) if self.logs[run_id] else _error(404, "BlobNotFound", "no blob")
            return 200, "epoch 1 loss 0.9\nepoch 2 loss 0.5\n"
        if path == "/score":
            return 200, self.scorer(body)
        if method == "POST" and path.startswith("/batch/"):  # a batch endpoint's scoring URI
            return self._invoke(path.split("/")[2], body, (headers or {}).get("azureml-model-deployment"))
        if method == "GET" and path.startswith("/mferp/managementfrontend/") and path.endswith("/jobs"):
            return self._batch_jobs(path)
        if method == "GET" and path.endswith("/versions") and "/codes/" in path and "hash" in query:
            return self._code_by_hash(original_path, query["hash"][0])
        if "/api/2.0/mlflow/" in path:
            return self._mlflow(path, query)
        if path.startswith("/history/"):
            return self._history(path)
        if method == "PUT":
            return self._put(path, body, original_path)
        if method == "POST" and path.endswith("/listkeys"):
            return 200, {"primaryKey": "pk-" + uuid.uuid4().hex, "secondaryKey": "sk-" + uuid.uuid4().hex}
        if method == "POST" and path.endswith("/listsecrets"):
            return 200, {"secretsType": "AccountKey", "key": "a2V5" * 22}
        if method == "POST" and path.endswith("/getlogs"):
            return 200, {"content": "Booting worker\nscoring server ready\n"}
        if method == "POST" and path.endswith("/cancel"):
            run_id = original_path.split("/")[-2]
            if self.pipelines.is_pipeline(run_id):
                self.pipelines.cancel(run_id)
            return 202, None
        if method == "DELETE":
            for child in [k for k in self.store if k.startswith(path + "/")]:  # an endpoint takes its deployments
                del self.store[child]
            return (200, None) if self.store.pop(path, None) else (204, None)
        if method == "GET":
            run_id = original_path.rsplit("/jobs/", 1)[-1] if "/jobs/" in path else None
            if run_id is not None and self.pipelines.is_step(run_id):  # a child job is no MFE job
                return 200, {"id": original_path, "name": run_id, "type": "Microsoft.MachineLearningServices/workspaces/jobs",
                             "properties": None}
            if path in self.store:
                if run_id is not None and self.pipelines.is_pipeline(run_id):  # each read is a tick of its steps
                    self.store[path]["properties"]["status"] = self.pipelines.tick(run_id)
                elif run_id in self.run_status:  # a job's status is its run's, as on Azure
                    self.store[path]["properties"]["status"] = self._next_status(run_id)
                return 200, self.store[path]
            children = [v for k, v in self.store.items() if k.rsplit("/", 1)[0] == path]
            if children or path.endswith(("/computes", "/jobs", "/versions", "/data", "/models", "/environments",
                                           "/onlineendpoints", "/batchendpoints", "/deployments",
                                           "/datastores")):
                return 200, {"value": children}
            kind = path.rsplit("/", 2)[-2] if "/" in path else "resource"
            return _error(404, "UserError", f"The specified resource was not found ({kind} {path.rsplit('/', 1)[-1]}).")
        return _error(405, "MethodNotAllowed", f"{method} {path}")

    def _put(self, path, body, original_path):
        if path in self.rejects:
            return self.rejects[path]
        body = dict(body or {})
        name = original_path.rsplit("/", 1)[-1]
        body["id"] = original_path
        body["name"] = name
        body["systemData"] = {"createdAt": "2026-01-05T10:00:00+00:00", "createdBy": "ada@example.com",
                              "createdByType": "User",
                              "lastModifiedAt": "2026-01-05T10:00:00+00:00", "lastModifiedBy": "ada@example.com",
                              "lastModifiedByType": "User"}
        props = body.setdefault("properties", {})
        segments = original_path.split("/")
        kind = segments[-2].lower()
        headers = {}
        if kind == "jobs" and props.get("jobType") == "Pipeline":
            self.pipelines.submitted(name, props)
        if kind == "jobs":
            props.setdefault("status", "Running" if props.get("jobType") == "Sweep" else "Starting")
            props["services"] = {
                "Tracking": {"jobServiceType": "Tracking", "endpoint": f"azureml://{self.url.split('://')[1]}/mlflow/v1.0{self.scope}?"},
                "Studio": {"jobServiceType": "Studio", "endpoint": f"https://ml.azure.com/runs/{name}"},
            }
            # No default uri_folder output: the SDK then streams logs from run history's logFiles
            # (served here) instead of listing a blob container.
            (props.get("outputs") or {}).pop("default", None)
        if kind == "onlineendpoints":
            props["scoringUri"] = self.url + "/score"
            props["provisioningState"] = "Succeeded"
        if kind == "versions" and segments[-4].lower() == "models":
            props.setdefault("flavors", {})
        if kind == "batchendpoints":
            props["scoringUri"] = f"{self.url}/batch/{name}/jobs"
        if kind == "deployments" and segments[-4].lower() == "onlineendpoints":  # .../onlineEndpoints/<e>/deployments/<d>
            props.setdefault("scaleSettings", {"scaleType": "Default"})
        if kind in _LRO_KINDS:
            props["provisioningState"] = "Succeeded"
            headers["Azure-AsyncOperation"] = f"{self.url}/operations/{uuid.uuid4()}"
        if kind == "versions":
            container = "/".join(segments[:-2])
            self.store[container.lower()] = {"id": container, "name": segments[-3], "properties": {"latestVersion": name}}
        self.store[path] = body
        return (201, body, headers)

    def _invoke(self, endpoint: str, body, deployment: str | None) -> tuple:
        """A batch invocation, as Azure answers it: a job named by the body (or generated), run by
        the deployment the `azureml-model-deployment` header names (else the endpoint's default),
        with one `batchscoring` child step whose logs are in `log_files` (set `batch_progress`)."""
        stored = self.store.get(f"{self.scope}/batchendpoints/{endpoint}")
        if stored is None:
            return _error(404, "UserError", f"Batch endpoint {endpoint} not found")
        props = (body or {}).get("properties") or {}
        deployment = deployment or ((stored["properties"].get("defaults") or {}).get("deploymentName"))
        if not deployment:
            return _error(400, "UserError", "No deployment name given and the endpoint has no default deployment")
        name = props.get("name") or f"batchjob-{uuid.uuid4()}"
        job_path = f"{self.scope}/jobs/{name}"
        self.put_raw(job_path, {"id": job_path, "name": name, "properties": {
            "jobType": "Pipeline", "status": "Preparing", "experimentName": endpoint, "displayName": name,
            "jobs": {}, "inputs": {}, "outputs": {}, "properties": {
                "azureml.batchrun": "true", "azureml.deploymentname": deployment, "azureml.endpointname": endpoint},
            "services": {
                "Tracking": {"jobServiceType": "Tracking",
                             "endpoint": f"azureml://{self.url.split('://')[1]}/mlflow/v1.0{self.scope}?"},
                "Studio": {"jobServiceType": "Studio", "endpoint": f"https://ml.azure.com/runs/{name}"}},
            "computeId": None, "isArchived": False, "tags": {}}, "systemData": {
                "createdAt": "2026-01-05T10:00:00+00:00", "createdBy": "ada@example.com", "createdByType": "User"}})
        self.store[job_path]["id"] = job_path
        step = f"{name}-{_SCORING_STEP}"
        self.children[name] = [{"runId": step, "status": "Running", "displayName": _SCORING_STEP,
                                "experimentId": endpoint, "properties": {}}]
        self.log_files.setdefault(step, {})
        answer = {"id": f"{self.scope}/batchendpoints/{endpoint}/jobs/{name}", "name": name, "type": "Pipeline",
                  "properties": {"status": "Preparing", "deployment": deployment, "endpoint": endpoint,
                                 "inputData": props.get("inputData"), "miniBatchSize": props.get("miniBatchSize")}}
        self.batch_jobs.append(answer)
        return 200, answer

    def _batch_jobs(self, path: str) -> tuple:
        """list_jobs of an endpoint (`.../batchendpoints/<e>/jobs`) or of one of its deployments."""
        segments = path.split("/")
        endpoint = segments[segments.index("batchendpoints") + 1]
        deployment = segments[segments.index("deployments") + 1] if "deployments" in segments else None
        return 200, {"value": [j for j in self.batch_jobs if j["properties"]["endpoint"] == endpoint
                               and deployment in (None, j["properties"]["deployment"])], "nextLink": None}

    def _code_by_hash(self, original_path, content_hash):
        """Every code snapshot is "already uploaded": the SDK then registers no new blob (the fake
        has no blob storage) and refers to this code version. As on Azure, the lookup (made under a
        fresh random name) finds the one code asset of that content: the steps of a pipeline that
        share a folder share it, whatever order their lookups arrive in."""
        container = original_path.rsplit("/", 2)[0]
        version = f"{container}/{uuid.uuid5(uuid.NAMESPACE_URL, 'amlmagic-fake/code/' + content_hash)}/versions/1"
        self.put_raw(version, {"properties": {"hash": content_hash, "properties": {  # where Azure keeps the hash
            "hash_sha256": content_hash, "hash_version": "202208"}, "codeUri":
                     f"https://demostorage0001.blob.core.windows.net/azureml-blobstore-1/LocalUpload/{content_hash}/src"}})
        self.store[version.lower()]["id"] = version
        return 200, {"value": [self.store[version.lower()]]}

    def _history(self, path):
        run_id = path.split("/runs/")[1].split("/")[0]
        if path.endswith("/children"):
            children = self.children.get(run_id) or self.pipelines.children(run_id)
            return 200, {"value": children, "nextLink": None}
        if self.pipelines.is_step(run_id):  # get_run and get_run_details of a step: one body serves both
            return 200, self.pipelines.read_step(run_id)
        job = self.store.get(f"{self.scope}/jobs/{run_id}")
        children = {c.get("runId") for runs in self.children.values() for c in runs}
        if job is None and run_id not in children:
            return _error(404, "UserError", f"Run {run_id} was not found")
        status = self.pipelines.tick(run_id) if self.pipelines.is_pipeline(run_id) else self._next_status(run_id)
        if job is not None:  # the job resource follows its run, as on Azure
            job.setdefault("properties", {})["status"] = status
        logs = {"user_logs/std_log.txt": f"{self.url}/logs/{run_id}/std_log.txt"}
        if self.pipelines.is_pipeline(run_id):  # a pipeline's own log: its steps' events
            logs = {"logs/azureml/executionlogs.txt": f"{self.url}/logs/{run_id}/executionlogs.txt"}
        elif job is not None and job.get("properties", {}).get("jobType") == "Pipeline":
            logs = {}  # a batch job's logs are its batchscoring step's
        if run_id in self.log_files:  # a batch scoring step: the logs it has written so far
            logs = {log: f"{self.url}/logs/{run_id}/{log}" for log in self.log_files[run_id]}
        error = None
        if status == "Failed":  # run history's error of a failed run, as Azure reports a user error
            error = {"error": {"code": "UserError", "message": "Execution failed: the command exited with code 1"}}
        return 200, {"runId": run_id, "status": status, "logFiles": logs, "warnings": [], "error": error}

    def _next_status(self, run_id: str) -> str:
        """The run's next status: each read walks one step, the last one stays."""
        statuses = self.run_status.get(run_id, ["Completed"])
        return statuses.pop(0) if len(statuses) > 1 else statuses[0]

    def _mlflow(self, path, query):
        run_id = query.get("run_id", [""])[0]
        points = self.metrics.get(run_id, [])
        if path.endswith("/runs/get"):
            latest = {p["key"]: p for p in points}
            return 200, {"run": {"info": {"run_id": run_id}, "data": {"metrics": list(latest.values())}}}
        key = query.get("metric_key", [""])[0]
        return 200, {"metrics": [p for p in points if p["key"] == key]}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                fake.requests.append((self.command, self.path))
                result = fake.answer(self.command, self.path, body, self.headers)
                status, payload = result[0], result[1]
                headers = result[2] if len(result) > 2 else {}
                if isinstance(payload, (str, bytes)):
                    data = payload.encode() if isinstance(payload, str) else payload
                    content_type = "text/plain; charset=utf-8"
                else:
                    data, content_type = b"" if payload is None else json.dumps(payload).encode(), "application/json; charset=utf-8"
                self.send_response(status)
                if payload is not None:
                    self.send_header("Content-Type", content_type)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = _serve

        return Handler
