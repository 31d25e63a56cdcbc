"""Train the MNIST CNN: the command of the notebook's training job and of every sweep trial.

    python train.py --data ${{inputs.mnist}} --epochs 2 --lr 0.01 --batch-size 128 --width 16 \
        --model-dir ${{outputs.model}}

--data is a folder holding torchvision's MNIST layout (MNIST/raw/...; notebooks/mnist/
prepare_data.py writes it). Metrics go to MLflow without start_run: the job engine sets
MLFLOW_TRACKING_URI / MLFLOW_RUN_ID, so they land in the job's own run. val_accuracy is logged
several times per epoch so that early termination has intervals to compare.

Under a `distribution: {type: pytorch, process_count_per_instance: N}` job (Azure sets RANK and
WORLD_SIZE per process) it trains with DistributedDataParallel over gloo: every batch is split
among the ranks, DDP averages the gradients, so the model sees the same global batch size; rank 0
alone evaluates, logs and saves the model.
"""

import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

__all__ = ["parse_args", "find_data_root", "load_mnist", "evaluate", "save_model", "join_ranks", "train", "main"]

MODEL_FILE, CONFIG_FILE = "model.pt", "config.json"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Train a small CNN on MNIST")
    parser.add_argument("--data", required=True, help="folder containing MNIST/raw/ (torchvision layout)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=0.01, help="peak learning rate of the one-cycle schedule")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--width", type=int, default=16, help="channels of the first convolution (second: 2x)")
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--model-dir", default="outputs/model", help="folder the trained model is written to")
    parser.add_argument("--limit", type=int, default=0, help="train on at most this many images (0: all)")
    parser.add_argument("--val-count", type=int, default=5000, help="training images held out for val_accuracy")
    parser.add_argument("--evals-per-epoch", type=int, default=4, help="val_accuracy points per epoch")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-each-epoch", action="store_true", help="also log epoch_test_accuracy (benchmarks)")
    return parser.parse_args(argv)


def find_data_root(path):
    """The folder torchvision.datasets.MNIST wants as root, from the mounted input folder."""
    path = os.path.abspath(path)
    for root in (path, os.path.dirname(path), os.path.dirname(os.path.dirname(path))):
        if os.path.isdir(os.path.join(root, "MNIST", "raw")):
            return root
    raise SystemExit(f"no MNIST/raw/ folder in {path}: run notebooks/mnist/prepare_data.py --out {path}")


def load_mnist(root, train):
    """(uint8 images (N, 28, 28), int64 labels) through torchvision's own loader."""
    import torchvision

    dataset = torchvision.datasets.MNIST(root, train=train, download=False)
    return dataset.data, dataset.targets


def evaluate(model, images, labels, batch_size=1000):
    import torch

    from model import normalize

    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            logits = model(normalize(images[start : start + batch_size]))
            correct += (logits.argmax(1) == labels[start : start + batch_size]).sum().item()
    model.train()
    return correct / max(len(images), 1)


def save_model(model, model_dir, config):
    """model.pt (state dict) and config.json (what score.py needs to rebuild the net)."""
    import torch

    os.makedirs(model_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=model_dir, prefix="tmp-", suffix=".pt")  # torch wants a plain name
    os.close(fd)
    torch.save(model.state_dict(), tmp)
    os.replace(tmp, os.path.join(model_dir, MODEL_FILE))
    fd, tmp = tempfile.mkstemp(dir=model_dir, prefix=".tmp-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(config, f, indent=2)
    os.replace(tmp, os.path.join(model_dir, CONFIG_FILE))


def join_ranks():
    """(rank, world size) of this process: (0, 1) for a plain job; under a distributed job, the
    process group is joined from the variables Azure sets (MASTER_ADDR, RANK, WORLD_SIZE, ...)."""
    world = int(os.environ.get("WORLD_SIZE") or 1)
    if world <= 1:
        return 0, 1
    import torch.distributed as dist

    dist.init_process_group("gloo")
    return dist.get_rank(), world


class MetricLog:
    """mlflow.log_metric into the job's run, and a line on stdout (the job's std_log)."""

    def __init__(self):
        try:
            import mlflow
        except ImportError:
            print("mlflow is not installed: metrics go to stdout only", flush=True)
            mlflow = None
        self.mlflow = mlflow

    def params(self, values):
        print("params " + json.dumps(values), flush=True)
        if self.mlflow:
            self.mlflow.log_params(values)

    def metric(self, name, value, step):
        print(f"step {step} {name} {value:.4f}", flush=True)
        if self.mlflow:
            self.mlflow.log_metric(name, value, step=step)


def train(args):
    import torch
    import torch.nn.functional as F

    from model import DigitNet, normalize

    # The job engine splits the cores between concurrent trials through OMP_NUM_THREADS.
    torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1)))
    torch.set_flush_denormal(True)
    torch.manual_seed(args.seed)
    root = find_data_root(args.data)
    images, labels = load_mnist(root, train=True)
    test_images, test_labels = load_mnist(root, train=False)
    val_count = min(args.val_count, len(images) // 5)
    train_images, train_labels = images[: len(images) - val_count], labels[: len(images) - val_count]
    val_images, val_labels = images[len(images) - val_count :], labels[len(images) - val_count :]
    if args.limit:
        train_images, train_labels = train_images[: args.limit], train_labels[: args.limit]

    rank, world = join_ranks()
    log = MetricLog() if rank == 0 else None
    hyperparameters = {
        "epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size, "width": args.width,
        "dropout": args.dropout, "weight_decay": args.weight_decay, "train_images": len(train_images),
        "threads": torch.get_num_threads(), **({"processes": world} if world > 1 else {}),
    }
    if log:
        log.params(hyperparameters)
    model = DigitNet(width=args.width, dropout=args.dropout)
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps_per_epoch = (len(train_images) + args.batch_size - 1) // args.batch_size
    if world > 1 and len(train_images) % args.batch_size:
        steps_per_epoch -= 1  # every rank needs a part of every batch: drop the short last one
    # OneCycleLR divides by the length of each phase: with only a few steps (tiny test data) a
    # phase can be empty. At least 8 steps; a longer schedule than the run just ends early.
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.lr, total_steps=max(8, args.epochs * steps_per_epoch), pct_start=0.25
    )
    evals = min(max(1, args.evals_per_epoch), steps_per_epoch)
    eval_points = {round(steps_per_epoch * (k + 1) / evals) for k in range(evals)}  # evenly spaced, last step included
    step, loss_sum, loss_count, val_accuracy = 0, 0.0, 0, 0.0
    started = time.perf_counter()
    for epoch in range(args.epochs):
        epoch_started = time.perf_counter()
        order = torch.randperm(len(train_images))
        for index in range(steps_per_epoch):
            batch = order[index * args.batch_size : (index + 1) * args.batch_size][rank::world]
            loss = F.cross_entropy(net(normalize(train_images[batch])), train_labels[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            step += 1
            loss_sum, loss_count = loss_sum + loss.item(), loss_count + 1
            if index + 1 in eval_points and log:
                log.metric("train_loss", loss_sum / loss_count, step)
                val_accuracy = evaluate(model, val_images, val_labels)
                log.metric("val_accuracy", val_accuracy, step)
                loss_sum, loss_count = 0.0, 0
        if log:
            log.metric("epoch_seconds", time.perf_counter() - epoch_started, epoch + 1)
        if args.test_each_epoch and log:
            log.metric("epoch_test_accuracy", evaluate(model, test_images, test_labels), epoch + 1)
    if world > 1:
        import torch.distributed as dist

        dist.barrier()  # every rank done with gloo before any tears it down
        dist.destroy_process_group()
        if rank != 0:
            return None
        time.sleep(0.3)  # rank 0 hosts the store: it leaves last (a store client whose server went first can abort at exit)
    test_accuracy = evaluate(model, test_images, test_labels)
    log.metric("test_accuracy", test_accuracy, step)
    config = {
        "architecture": "DigitNet", "width": args.width, "dropout": args.dropout,
        "hyperparameters": hyperparameters, "val_accuracy": val_accuracy, "test_accuracy": test_accuracy,
        "train_seconds": round(time.perf_counter() - started, 2),
    }
    save_model(model, args.model_dir, config)
    print(f"saved the model to {args.model_dir} (test_accuracy {test_accuracy:.4f})", flush=True)
    return config


def main(argv=None):
    train(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
