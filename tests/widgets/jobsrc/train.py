"""A tiny training job for the widget tests: logs `loss` and `acc` per step with MLflow.
With --gate FILE it logs the first half, then waits for FILE before the second half, so a
test can check that a monitor shows points while the job is still running."""

import argparse
import os
import time

import mlflow

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=10)
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--gate", default="")
parser.add_argument("--wait-forever", action="store_true")
parser.add_argument("--test-accuracy", type=float, default=None,
                    help="log this once at the end, as the MNIST job logs its test accuracy")
parser.add_argument("--hold-below", type=float, default=0.0,
                    help="when lr is below this, hold after the first half until canceled")
args = parser.parse_args()

if args.wait_forever:
    print("waiting to be canceled", flush=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        time.sleep(0.1)
    raise SystemExit(1)

half = args.steps // 2
for step in range(args.steps):
    if step == half and args.lr < args.hold_below:
        print("holding until an early-termination policy cancels me", flush=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            time.sleep(0.1)
        raise SystemExit(1)
    if args.gate and step == half:
        print(f"gate: waiting for {args.gate}", flush=True)
        deadline = time.time() + 120
        while not os.path.exists(args.gate) and time.time() < deadline:
            time.sleep(0.05)
    loss = 1.0 / (1 + args.lr * (step + 1))
    mlflow.log_metric("loss", loss, step=step)
    mlflow.log_metric("acc", 1 - loss, step=step)
    print(f"step {step} loss {loss:.4f}", flush=True)
if args.test_accuracy is not None:
    mlflow.log_metric("test_accuracy", args.test_accuracy)
print("training done", flush=True)
