"""Local pipeline engine costs, each against a baseline measured in the same run:

1. a 5-step chain of steps that each sleep S seconds, submit to Completed, against the same 5
   commands run one after another by a shell (goal: ratio <= 1.25, per-step overhead <= 0.25 s);
2. the same pipeline submitted again unchanged, every step reused, submit to Completed
   (goal: <= 0.5 s);
3. two independent CPU-bound steps against the same two commands run one after the other
   (goal: wall time <= 0.6x of sequential on 2 cores).

    python benchmarks/bench_pipeline.py [--quick]
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Spins for `s` seconds of CPU time, so two of them need two cores to finish together.
BURN = "python -c \"import time; t=time.process_time(); exec('while time.process_time()-t<{s}: pass')\""


ENV = "azureml:AzureML-sklearn-1.5@latest"


def chain_yaml(steps: int, command: str) -> str:
    import yaml

    jobs = {}
    for i in range(steps):
        jobs[f"s{i}"] = {"command": command + " && echo done > ${{outputs.done}}/step.txt", "environment": ENV,
                         "outputs": {"done": {"type": "uri_folder"}}}
        if i:
            jobs[f"s{i}"]["inputs"] = {"after": f"${{{{parent.jobs.s{i - 1}.outputs.done}}}}"}
    return yaml.safe_dump({"type": "pipeline", "settings": {"default_compute": "azureml:local"}, "jobs": jobs})


def fan_yaml(command: str) -> str:
    import yaml

    jobs = {key: {"command": command, "environment": ENV} for key in ("left", "right")}
    return yaml.safe_dump({"type": "pipeline", "settings": {"default_compute": "azureml:local"}, "jobs": jobs})


def submit(client, path: Path) -> float:
    from azure.ai.ml import load_job

    job = load_job(path)
    t = time.perf_counter()
    name = client.jobs.create_or_update(job).name
    done = client.jobs.wait(name, timeout=300)
    elapsed = time.perf_counter() - t
    assert done.status == "Completed", done.properties.get("error")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="seconds, small sizes (CI)")
    args = parser.parse_args()
    sleep, burn = (0.2, 0.3) if args.quick else (1.0, 2.0)
    from amlmagic.local.client import LocalMLClient

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        client = LocalMLClient(folder / ".amlmagic")
        steps = 5
        shell = "; ".join([f"sleep {sleep}"] * steps)
        t = time.perf_counter()
        subprocess.run(["bash", "-c", shell], check=True)
        baseline = time.perf_counter() - t
        (folder / "chain.yml").write_text(chain_yaml(steps, f"sleep {sleep}"))
        wall = submit(client, folder / "chain.yml")
        per_step = (wall - baseline) / steps
        print(f"5-step chain (sleep {sleep} s each): pipeline {wall:.2f} s, shell {baseline:.2f} s: "
              f"ratio {wall / baseline:.2f} (goal <= 1.25), overhead per step {per_step:.3f} s (goal <= 0.25)")

        reused = submit(client, folder / "chain.yml")
        print(f"the same pipeline reused whole: {reused:.3f} s from submit to Completed (goal <= 0.5 s), "
              f"ratio to its first run {reused / wall:.3f}")

        command = BURN.format(s=burn)
        t = time.perf_counter()
        for _ in range(2):
            subprocess.run(["bash", "-c", command], check=True)
        sequential = time.perf_counter() - t
        (folder / "fan.yml").write_text(fan_yaml(command))
        concurrent = submit(client, folder / "fan.yml")
        print(f"two independent CPU-bound steps: pipeline {concurrent:.2f} s, sequential {sequential:.2f} s: "
              f"ratio {concurrent / sequential:.2f} (goal <= 0.6 on 2 cores)")


if __name__ == "__main__":
    main()
