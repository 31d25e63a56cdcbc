"""How fast the notebook's MNIST training reaches 99% on this machine.

    python benchmarks/bench_mnist_training.py [--data DIR] [--epochs 3] [--quick]

Baseline, measured in the same run: the 2-conv CNN of pytorch/examples (conv 32, conv 64 at
full resolution, fc 128), the issue author's reference, timed on the same steps as DigitNet.
Then train.py itself (a subprocess, as a job runs it) at 2 threads for the final training's
epochs, at 1 thread, and two 1-thread trainings side by side (a sweep's concurrency of 2).
Prints seconds per epoch, accuracy per epoch and the ratios.

--quick (CI): 2,000 synthetic digits in a temporary folder instead of MNIST, 10 timed steps, and
one 1-epoch train.py run on 512 of them instead of the trainings above.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MNIST_DIR = os.path.join(HERE, "..", "notebooks", "mnist")
SRC_DIR = os.path.join(MNIST_DIR, "src")

__all__ = ["time_steps", "run_train", "main"]


def time_steps(make_model, threads, steps, batch_size=128):
    """Seconds per epoch (60k images) extrapolated from `steps` training steps on real batches."""
    import torch
    import torch.nn.functional as F
    import torchvision

    sys.path.insert(0, SRC_DIR)
    from model import normalize

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    data = torchvision.datasets.MNIST(ARGS.data, download=False)
    model = make_model()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def step(i):
        batch = slice(i * batch_size, (i + 1) * batch_size)
        loss = F.cross_entropy(model(normalize(data.data[batch])), data.targets[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for i in range(5):
        step(i)
    started = time.perf_counter()
    for i in range(steps):
        step(i)
    return (time.perf_counter() - started) / steps * (60000 / batch_size)


def reference_net():
    """pytorch/examples/mnist's Net, without dropout (timing only)."""
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def start_train(threads, args, model_dir):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MLFLOW_TRACKING_URI="")
    env.pop("MLFLOW_RUN_ID", None)
    command = [sys.executable, os.path.join(SRC_DIR, "train.py"), "--data", ARGS.data, "--model-dir", model_dir,
               "--test-each-epoch", *args]
    # mlflow would create ./mlruns: run in a temporary folder, read the metrics from stdout
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=os.path.dirname(model_dir))


def finish_train(process):
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"train.py failed:\n{stderr[-2000:]}")
    metrics = {}
    for name, value in re.findall(r"^step \d+ (\w+) ([\d.]+)$", stdout, re.MULTILINE):
        metrics.setdefault(name, []).append(float(value))
    return metrics


def run_train(threads, args, work):
    started = time.perf_counter()
    metrics = finish_train(start_train(threads, args, tempfile.mkdtemp(dir=work)))
    return metrics, time.perf_counter() - started


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.path.expanduser("~/.cache/amlmagic/mnist"))
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the final-training measurement")
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--quick", action="store_true", help="CI: tiny synthetic data, 10 steps, one short training")
    ARGS = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-mnist-") as work:
        if ARGS.quick:
            ARGS.data = os.path.join(work, "data")
        synthetic = ["--synthetic", "2000"] if ARGS.quick else []
        prepared = subprocess.run([sys.executable, os.path.join(MNIST_DIR, "prepare_data.py"), "--out", ARGS.data,
                                   *synthetic])
        if prepared.returncode != 0:
            return 1
        return measure(work)


def measure(work):
    sys.path.insert(0, SRC_DIR)
    from model import DigitNet

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (noisy hosts inflate times)")
    steps = 10 if ARGS.quick else 60
    baseline = time_steps(reference_net, threads=2, steps=steps)
    ours = {threads: time_steps(lambda: DigitNet(ARGS.width), threads=threads, steps=steps) for threads in (2, 1)}
    print(f"baseline pytorch/examples CNN, 2 threads: {baseline:.1f} s/epoch (from {steps} steps)")
    for threads, seconds in ours.items():
        print(f"DigitNet width {ARGS.width}, {threads} thread(s): {seconds:.1f} s/epoch, "
              f"{baseline / seconds:.2f}x faster than the baseline")

    hyper = ["--width", str(ARGS.width), "--lr", str(ARGS.lr), "--batch-size", str(ARGS.batch_size)]
    if ARGS.quick:
        quick, wall = run_train(2, ["--epochs", "1", "--limit", "512", "--val-count", "128", "--evals-per-epoch", "1",
                                    *hyper], work)
        print(f"\ntrain.py, 2 threads, 1 epoch on 512 synthetic digits: {quick['epoch_seconds'][0]:.1f} s "
              f"({wall:.1f} s wall), test accuracy {quick['epoch_test_accuracy'][0]:.4f}")
        return 0
    final, wall = run_train(2, ["--epochs", str(ARGS.epochs), *hyper], work)
    print(f"\nfinal training, 2 threads, {ARGS.epochs} epochs: {wall:.1f} s wall (incl. start-up)")
    for epoch, (seconds, accuracy) in enumerate(zip(final["epoch_seconds"], final["epoch_test_accuracy"], strict=True), 1):
        print(f"  epoch {epoch}: {seconds:.1f} s, test accuracy {accuracy:.4f}")
    print(f"  test_accuracy {final['test_accuracy'][-1]:.4f} "
          f"({'meets' if final['test_accuracy'][-1] >= 0.99 else 'MISSES'} the 0.990 target)")
    single, wall_1 = run_train(1, ["--epochs", "1", *hyper], work)
    print(f"\none epoch, 1 thread: {single['epoch_seconds'][0]:.1f} s, test accuracy "
          f"{single['epoch_test_accuracy'][0]:.4f} ({wall_1:.1f} s wall)")
    started = time.perf_counter()
    pair = [start_train(1, ["--epochs", "1", *hyper], tempfile.mkdtemp(dir=work)) for _ in range(2)]
    pair = [finish_train(p) for p in pair]
    pair_wall = time.perf_counter() - started
    print(f"two 1-thread trainings side by side, 1 epoch each: {pair_wall:.1f} s wall "
          f"(epochs {', '.join('%.1f' % m['epoch_seconds'][0] for m in pair)} s); "
          f"{2 * wall_1 / pair_wall:.2f}x the throughput of running them one after the other")
    return 0


if __name__ == "__main__":
    sys.exit(main())
