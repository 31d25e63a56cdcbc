"""Make notebooks/mnist/ importable (its scripts are plain files, not a package)."""

import os
import sys

MNIST_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "notebooks", "mnist"))
SRC_DIR = os.path.join(MNIST_DIR, "src")

if MNIST_DIR not in sys.path:
    sys.path.insert(0, MNIST_DIR)
