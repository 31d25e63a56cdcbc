"""Local online endpoint vs azmlinfsrv (Azure's own scoring server), same trivial score.py.

    python benchmarks/bench_serving.py [--requests 4000] [--seconds 15] [--quick]

Prints requests/s and p50/p99 latency at concurrency 1, 4 and 16 for both servers (one worker
each), side by side (medians of --repeat runs), plus cold start to the first 200. Goal: >= 1.5x azmlinfsrv's requests/s
at concurrency 4 with a lower p99, and a cold start under 0.5 s.

azmlinfsrv (PyPI azureml-inference-server-http) runs in its own venv ($AZMLINFSRV_VENV, default
/tmp/azmlinfsrv-venv, created on first use) under gunicorn bound to 127.0.0.1, with the
arguments its `azmlinfsrv` command gives gunicorn. All traffic goes to 127.0.0.1; every load
run is bounded in requests and seconds.

--quick: 300 requests or 2 s per measurement, one run each (CI).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from amlmagic.local.serving import start_endpoint, stop_endpoint, write_config  # noqa: E402

SCORE_PY = """\
import json

def init():
    pass

def run(raw_data):
    return {"echo": json.loads(raw_data)}
"""
BODY = b'{"data": [1, 2, 3]}'
KEY = "bench-key"


# --- load generator -----------------------------------------------------------------------------
class _Client(asyncio.Protocol):
    """One keep-alive connection sending requests back to back; reconnects when the server
    closes (gunicorn's sync worker closes after every response)."""

    def __init__(self, run: "_LoadRun"):
        self.run = run
        self.buf = bytearray()
        self.transport = None
        self.sent_at = 0.0
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport
        self.send()

    def send(self):
        if self.run.take():
            self.sent_at = time.perf_counter()
            self.transport.write(self.run.request)
        else:
            self.transport.close()

    def data_received(self, data):
        buf = self.buf
        buf += data
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(buf[:end]).lower()
        i = head.find(b"content-length:")
        length = int(head[i + 15:head.find(b"\r\n", i) if head.find(b"\r\n", i) > 0 else None])
        if len(buf) < end + 4 + length:
            return
        status = int(head[9:12])
        del buf[:end + 4 + length]
        self.run.record(time.perf_counter() - self.sent_at, status)
        if b"connection: close" in head:
            self.transport.close()  # connection_lost opens the next one
        else:
            self.send()

    def connection_lost(self, exc):
        if not self.closed.done():
            self.closed.set_result(None)


class _LoadRun:
    def __init__(self, port: int, total: int, seconds: float, close: bool = False):
        self.request = (b"POST /score HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                        b"Content-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s"
                        % (KEY.encode(), len(BODY), b"Connection: close\r\n" if close else b"", BODY))
        self.port = port
        self.left = total
        self.deadline = time.perf_counter() + seconds
        self.latencies: list[float] = []
        self.errors = 0

    def take(self) -> bool:
        if self.left <= 0 or time.perf_counter() > self.deadline:
            return False
        self.left -= 1
        return True

    def record(self, latency: float, status: int):
        self.latencies.append(latency)
        if status != 200:
            self.errors += 1

    async def _connection_loop(self):
        loop = asyncio.get_running_loop()
        while self.left > 0 and time.perf_counter() < self.deadline:
            _, client = await loop.create_connection(lambda: _Client(self), "127.0.0.1", self.port)
            await client.closed


async def _measure(port: int, concurrency: int, total: int, seconds: float, close: bool = False) -> dict:
    warm = _LoadRun(port, min(200, total), seconds, close)
    await asyncio.gather(*(warm._connection_loop() for _ in range(concurrency)))
    run = _LoadRun(port, total, seconds, close)
    start = time.perf_counter()
    await asyncio.gather(*(run._connection_loop() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    lat = sorted(run.latencies)
    return {"rps": len(lat) / elapsed, "p50": lat[len(lat) // 2] * 1e3,
            "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3, "n": len(lat), "errors": run.errors}


def _median(runs: list[dict]) -> dict:
    """Per-metric median over repeated runs: the shared machine's noise hits single runs."""
    return {key: sorted(r[key] for r in runs)[len(runs) // 2] for key in runs[0]}


# --- the two servers ----------------------------------------------------------------------------
def _wait_first_200(port: int, deadline: float) -> None:
    request = (b"POST /score HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json"
               b"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (KEY.encode(), len(BODY), BODY))
    while time.perf_counter() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(request)
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.002)
    raise SystemExit(f"no 200 from 127.0.0.1:{port}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _azmlinfsrv_venv() -> Path:
    venv = Path(os.environ.get("AZMLINFSRV_VENV", "/tmp/azmlinfsrv-venv"))
    if not (venv / "bin" / "gunicorn").exists():
        print(f"creating {venv} with azureml-inference-server-http ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "azureml-inference-server-http"], check=True)
    return venv


def start_azmlinfsrv(venv: Path, code: Path, model_dir: Path, log: Path) -> tuple[subprocess.Popen, int, float]:
    port = _free_port()
    env = dict(os.environ, AZUREML_ENTRY_SCRIPT="score.py", AML_APP_ROOT=str(code),
               AZUREML_MODEL_DIR=str(model_dir))
    gunicorn = str(venv / "bin" / "gunicorn")
    # gunicorn >= 25 opens a control socket under ~/.gunicorn: keep it in the temp dir.
    help_text = subprocess.run([gunicorn, "--help"], capture_output=True, text=True).stdout
    control = ["--control-socket", str(log.parent / "gunicorn.ctl")] if "--control-socket" in help_text else []
    start = time.perf_counter()
    # The arguments azmlinfsrv's own launcher gives gunicorn, bound to 127.0.0.1 instead of 0.0.0.0.
    proc = subprocess.Popen([gunicorn, "-b", f"127.0.0.1:{port}", "-w", "1", *control,
                             "--timeout", "300", "--access-logfile", "-", "--error-logfile", "/dev/null",
                             "azureml_inference_server_http.server.entry:app"],
                            cwd=code, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    _wait_first_200(port, time.perf_counter() + 60)
    return proc, port, time.perf_counter() - start


def start_local(root: Path, code: Path, model_dir: Path) -> tuple[Path, int, float]:
    state_dir = root / "endpoint"
    write_config(state_dir, {"endpoint": "bench", "keys": [KEY, "secondary"], "auth_mode": "key",
                             "deployments": {"blue": {"code_dir": str(code), "scoring_script": "score.py",
                                                      "model_dir": str(model_dir), "instance_count": 1}},
                             "traffic": {"blue": 100}})
    start = time.perf_counter()
    state = start_endpoint(state_dir)
    _wait_first_200(state.port, time.perf_counter() + 60)
    return state_dir, state.port, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000, help="requests per measurement")
    parser.add_argument("--seconds", type=float, default=15, help="time cap per measurement")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; medians are printed")
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.seconds, args.repeat = 300, 2.0, 1
    venv = _azmlinfsrv_venv()
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp:
        root = Path(tmp)
        code = root / "code"
        code.mkdir()
        (code / "score.py").write_text(SCORE_PY)
        model_dir = root / "azureml-models" / "m" / "1"
        model_dir.mkdir(parents=True)
        state_dir, local_port, local_cold = start_local(root, code, model_dir)
        proc, ref_port, ref_cold = start_azmlinfsrv(venv, code, model_dir, root / "azmlinfsrv.log")
        try:
            print(f"cold start to first 200: local {local_cold:.3f}s   azmlinfsrv {ref_cold:.3f}s   "
                  f"ratio {ref_cold / local_cold:.1f}x faster   (goal: local < 0.5s)")
            print(f"{'conc':>4} | {'local req/s':>11} {'p50 ms':>7} {'p99 ms':>7} | "
                  f"{'azmlinfsrv req/s':>16} {'p50 ms':>7} {'p99 ms':>7} | {'req/s ratio':>11}")
            for concurrency in (1, 4, 16):
                runs = {"local": [], "ref": [], "fresh": []}
                for rep in range(args.repeat):
                    # Alternate which server goes first so neither always gets the quieter moment.
                    order = [("local", local_port), ("ref", ref_port)]
                    for name, port in (order if rep % 2 == 0 else order[::-1]):
                        runs[name].append(asyncio.run(_measure(port, concurrency, args.requests, args.seconds)))
                    if concurrency == 4:
                        # gunicorn's sync worker closes every connection; this is local on the same terms.
                        runs["fresh"].append(asyncio.run(
                            _measure(local_port, concurrency, args.requests, args.seconds, close=True)))
                loc, ref = _median(runs["local"]), _median(runs["ref"])
                print(f"{concurrency:>4} | {loc['rps']:>11.0f} {loc['p50']:>7.2f} {loc['p99']:>7.2f} | "
                      f"{ref['rps']:>16.0f} {ref['p50']:>7.2f} {ref['p99']:>7.2f} | "
                      f"{loc['rps'] / ref['rps']:>10.2f}x"
                      + (f"   errors local {loc['errors']} ref {ref['errors']}" if loc["errors"] or ref["errors"]
                         else ""), flush=True)
                if concurrency == 4:
                    fresh = _median(runs["fresh"])
                    print(f"   4 | {fresh['rps']:>11.0f} {fresh['p50']:>7.2f} {fresh['p99']:>7.2f} | "
                          f"{'(local, new connection per request)':>32} | {fresh['rps'] / ref['rps']:>10.2f}x",
                          flush=True)
                    goal = loc["rps"] >= 1.5 * ref["rps"] and loc["p99"] < ref["p99"]
                    verdict = "met" if goal else "NOT met"
            print(f"goal at concurrency 4 (>= 1.5x req/s, lower p99): {verdict}; "
                  f"cold start goal (< 0.5s): {'met' if local_cold < 0.5 else 'NOT met'}")
        finally:
            proc.terminate()
            proc.wait(10)
            stop_endpoint(state_dir)


if __name__ == "__main__":
    main()
