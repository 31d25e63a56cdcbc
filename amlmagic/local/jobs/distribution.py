"""Distributed command jobs on this machine: Azure's `distribution` and `resources.instance_count`
(../shared/azureml-semantics-2.md, section 3) checked at submit, and the processes the runner
starts, with the variables Azure sets and the per-process log names Azure writes.

    dist = plan_distribution(spec, compute)          # at submit; None for a one-process job
    table = process_table(dist)                      # [{rank, node_rank, local_rank, role, index, log}]
    ports = choose_ports(dist)                       # at start: free ports on 127.0.0.1
    env = process_env(dist, table[i], ports)         # the variables process i gets

Our rules (docs/distributed.md):
- every simulated node is this machine, host 127.0.0.1; every process is a session of its own
  (runner.py), so the kernel gives each rank the CPU share of a separate program;
- MASTER_PORT is a free port chosen when the job starts (Azure's nodes own port 6105, a shared
  machine does not), unless the job sets MASTER_PORT in environment_variables;
- TensorFlow: every worker and parameter server is a node of its own, each with its own port;
- a `distribution` always writes per-process logs, even for a world of one process;
- `resources.instance_count` without a `distribution` runs the command once (a notice says so).
"""

from __future__ import annotations

import json
import socket
from typing import Any, Mapping

from ...errors import UnsupportedError, ValidationError

__all__ = [
    "DISTRIBUTION_TYPES", "LOCAL_HOST", "plan_distribution", "process_table", "choose_ports",
    "process_env", "world_size", "port_taken", "instance_notice",
]

DISTRIBUTION_TYPES = ("pytorch", "mpi", "tensorflow")
LOCAL_HOST = "127.0.0.1"


def _count(value: Any, field: str, minimum: int, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().lstrip("-").isdigit():
        raise ValidationError(f"{field}: {value!r} is not a whole number: give an integer >= {minimum}")
    number = int(value)
    if number < minimum:
        raise ValidationError(f"{field}: {number} is less than {minimum}: give an integer >= {minimum}")
    return number


def port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((LOCAL_HOST, port))
        except OSError:
            return True
    return False


def plan_distribution(spec: Mapping[str, Any], compute: Mapping[str, Any]) -> dict | None:
    """The job's processes as the plan records them, or None for a one-process job; raises a
    one-line ValidationError naming the field before anything is started."""
    resources = spec.get("resources") or {}
    if not isinstance(resources, Mapping):
        raise ValidationError("resources: give a mapping such as {instance_count: 2}")
    nodes = _count(resources.get("instance_count"), "resources.instance_count", 1, 1)
    limit = compute.get("max_instances")
    if limit is not None and nodes > limit:
        raise ValidationError(
            f"resources.instance_count: {nodes} is more than compute {compute['name']}'s max_instances "
            f"({limit}): lower instance_count or raise the compute's max_instances")
    raw = spec.get("distribution")
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ValidationError("distribution: give a mapping such as {type: pytorch, process_count_per_instance: 2}")
    kind = str(raw.get("type") or "").lower()
    if kind == "ray":
        raise UnsupportedError("distribution.type: ray cannot run locally: use pytorch, mpi or tensorflow")
    if kind not in DISTRIBUTION_TYPES:
        raise ValidationError(
            f"distribution.type: {raw.get('type')!r} is not a distribution type: use pytorch, mpi or tensorflow")
    user_env = spec.get("environment_variables") or {}
    master_port = None
    if kind != "tensorflow" and user_env.get("MASTER_PORT") not in (None, ""):
        master_port = _count(user_env["MASTER_PORT"], "environment_variables.MASTER_PORT", 1, 0)
        if master_port > 65535 or port_taken(master_port):
            raise ValidationError(
                f"environment_variables.MASTER_PORT: port {master_port} is in use on this machine (or "
                "invalid): pick a free port, or leave MASTER_PORT out and a free one is chosen")
    plan: dict[str, Any] = {"type": kind, "nodes": nodes, "master_port": master_port}
    if kind == "tensorflow":
        plan["worker_count"] = _count(raw.get("worker_count"), "distribution.worker_count", 1, nodes)
        plan["parameter_server_count"] = _count(
            raw.get("parameter_server_count"), "distribution.parameter_server_count", 0, 0)
    else:
        plan["processes_per_node"] = _count(
            raw.get("process_count_per_instance"), "distribution.process_count_per_instance", 1, 1)
    return plan


def instance_notice(spec: Mapping[str, Any]) -> str | None:
    """What the job's log says when instance_count > 1 has no distribution to spread over."""
    nodes = (spec.get("resources") or {}).get("instance_count") or 1
    if spec.get("distribution") is None and int(nodes) > 1:
        return (f"resources.instance_count is {nodes} but the job has no distribution: the command runs "
                "once on this machine (add distribution: {type: pytorch} to start one process per instance)")
    return None


def world_size(dist: Mapping[str, Any]) -> int:
    if dist["type"] == "tensorflow":
        return dist["worker_count"] + dist["parameter_server_count"]
    return dist["nodes"] * dist["processes_per_node"]


def process_table(dist: Mapping[str, Any]) -> list[dict]:
    """One entry per process, rank 0 first: its ranks, its node (a process group) and its log."""
    if dist["type"] == "tensorflow":
        tasks = [("worker", i) for i in range(dist["worker_count"])]
        tasks += [("ps", i) for i in range(dist["parameter_server_count"])]
        return [{"rank": rank, "node_rank": rank, "local_rank": 0, "role": role, "index": index,
                 "log": f"std_log_node_{index:02d}_{role}.txt"} for rank, (role, index) in enumerate(tasks)]
    per_node, size = dist["processes_per_node"], world_size(dist)
    # Azure's SDK test data pads to two digits; wider worlds get the width of the largest rank
    # (our rule: the padding is not documented).
    width = max(2, len(str(size - 1)))
    return [{"rank": rank, "node_rank": rank // per_node, "local_rank": rank % per_node, "role": "rank",
             "index": rank, "log": f"std_log_process_{rank:0{width}d}.txt"} for rank in range(size)]


def choose_ports(dist: Mapping[str, Any]) -> list[int]:
    """Free ports on 127.0.0.1 (the OS picks them; held open together so they differ): one for
    the master, or one per TensorFlow task. The job's own MASTER_PORT wins."""
    if dist["type"] != "tensorflow" and dist.get("master_port"):
        return [int(dist["master_port"])]
    wanted = world_size(dist) if dist["type"] == "tensorflow" else 1
    held = []
    try:
        for _ in range(wanted):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.append(sock)
            sock.bind((LOCAL_HOST, 0))
        return [sock.getsockname()[1] for sock in held]
    finally:
        for sock in held:
            sock.close()


def _common_env(dist: Mapping[str, Any], proc: Mapping[str, Any], master: str, nodes: int) -> dict[str, str]:
    """The AZ_BATCH_* / AZUREML_* variables Azure's examples read, for every distribution type."""
    name = f"{proc['role']}_{proc['index']}" if dist["type"] == "tensorflow" else f"rank_{proc['rank']}"
    return {
        "AZ_BATCH_MASTER_NODE": master,
        "AZ_BATCHAI_MPI_MASTER_NODE": LOCAL_HOST,
        "AZ_BATCH_HOST_LIST": ",".join([LOCAL_HOST] * nodes),
        "AZUREML_CR_NODE_RANK": str(proc["node_rank"]),
        "AZUREML_NODE_COUNT": str(nodes),
        "AZUREML_PROCESS_NAME": name,
    }


def process_env(dist: Mapping[str, Any], proc: Mapping[str, Any], ports: list[int]) -> dict[str, str]:
    """The variables Azure sets for this process (semantics-2 section 3.2)."""
    size = world_size(dist)
    if dist["type"] == "tensorflow":
        hosts = [f"{LOCAL_HOST}:{port}" for port in ports]
        workers = dist["worker_count"]
        cluster = {"worker": hosts[:workers]}
        if dist["parameter_server_count"]:
            cluster["ps"] = hosts[workers:]
        tf_config = {"cluster": cluster, "task": {"type": proc["role"], "index": proc["index"]},
                     "environment": "cloud"}
        return {**_common_env(dist, proc, hosts[0], size), "TF_CONFIG": json.dumps(tf_config)}
    port = str(ports[0])
    master = f"{LOCAL_HOST}:{port}"
    env = _common_env(dist, proc, master, dist["nodes"])
    if dist["type"] == "pytorch":
        env.update({
            "MASTER_ADDR": LOCAL_HOST, "MASTER_PORT": port, "WORLD_SIZE": str(size),
            "RANK": str(proc["rank"]), "LOCAL_RANK": str(proc["local_rank"]),
            "NODE_RANK": str(proc["node_rank"]),
            # v1's PyTorchConfiguration names, still read by older scripts
            "AZ_BATCHAI_PYTORCH_INIT_METHOD": f"tcp://{master}", "AZ_BATCHAI_TASK_INDEX": str(proc["rank"]),
        })
    else:  # mpi: what Open MPI's launcher sets; OMPI_COMM_WORLD_NODE_RANK is the rank on the node
        env.update({
            "OMPI_COMM_WORLD_RANK": str(proc["rank"]), "OMPI_COMM_WORLD_SIZE": str(size),
            "OMPI_COMM_WORLD_LOCAL_RANK": str(proc["local_rank"]),
            "OMPI_COMM_WORLD_LOCAL_SIZE": str(dist["processes_per_node"]),
            "OMPI_COMM_WORLD_NODE_RANK": str(proc["local_rank"]),
        })
    return env
