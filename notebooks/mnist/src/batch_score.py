"""Scoring script of the MNIST batch deployment (Azure ML's batch contract: init() once per
worker process, run(mini_batch) per mini-batch with a list of file paths).

Each input file is a 28x28 grayscale PNG; run() answers one line per file, "<file> <digit>
<probability>", which the deployment's `append_row` output action appends to predictions.csv
(space-separated, no header), as Microsoft's mnist-classifier batch example reads it.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from score import find_model_folder, load_model, predict  # noqa: E402  (the online deployment's)

__all__ = ["init", "run"]

model = None


def init():
    global model
    import torch

    torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS") or 1)))
    model = load_model(find_model_folder(os.environ["AZUREML_MODEL_DIR"]))


def run(mini_batch):
    import torch
    from torchvision.io import ImageReadMode, read_image

    images = torch.stack([read_image(path, ImageReadMode.GRAY)[0].float() / 255.0 for path in mini_batch])
    answer = predict(model, images)
    return [f"{os.path.basename(path)} {digit} {max(probabilities):.6f}"
            for path, digit, probabilities in zip(mini_batch, answer["predictions"], answer["probabilities"], strict=True)]
