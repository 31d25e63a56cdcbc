"""Scoring script of the MNIST online deployment (Azure ML's init()/run() contract).

init() loads the model folder train.py wrote from AZUREML_MODEL_DIR (Azure puts a model
registered from a folder under it by the folder's name, so the folder is searched for).
run(raw_data) takes the request body, JSON like {"data": [image, ...]} where an image is 784
values or 28x28 values, in 0..1 or 0..255, and answers
{"predictions": [digit, ...], "probabilities": [[10 floats], ...]}.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

__all__ = ["find_model_folder", "load_model", "parse_images", "predict", "init", "run"]

CONFIG_FILE, MODEL_FILE = "config.json", "model.pt"

model = None


def find_model_folder(base):
    """The folder holding config.json and model.pt: base itself or the one folder below it."""
    for folder, _, files in sorted(os.walk(base)):
        if CONFIG_FILE in files and MODEL_FILE in files:
            return folder
    raise FileNotFoundError(f"no {CONFIG_FILE} + {MODEL_FILE} under {base}: register the folder train.py wrote")


def load_model(folder):
    import torch

    from model import DigitNet

    with open(os.path.join(folder, CONFIG_FILE)) as f:
        config = json.load(f)
    net = DigitNet(width=config["width"], dropout=config.get("dropout", 0.0))
    net.load_state_dict(torch.load(os.path.join(folder, MODEL_FILE), map_location="cpu", weights_only=True))
    net.eval()
    return net


def parse_images(raw_data):
    """Request body -> float tensor (N, 28, 28) in [0, 1]; ValueError says what was wrong."""
    import torch

    body = json.loads(raw_data) if isinstance(raw_data, (str, bytes, bytearray)) else raw_data
    if isinstance(body, dict):
        body = body.get("data", body.get("input_data"))
        if body is None:
            raise ValueError('expected {"data": [images]} with 784 or 28x28 values per image')
    try:
        images = torch.tensor(body, dtype=torch.float32)
    except (TypeError, ValueError) as error:
        raise ValueError(f"data must be a list of numbers per image: {error}") from None
    if images.shape[-2:] == (28, 28):
        images = images.reshape(-1, 28, 28)
    elif images.shape[-1] == 784:
        images = images.reshape(-1, 28, 28)
    else:
        raise ValueError(f"expected 784 or 28x28 values per image, got shape {list(images.shape)}")
    if images.numel() == 0 or not torch.isfinite(images).all() or images.min() < 0 or images.max() > 255:
        raise ValueError("pixel values must be finite numbers in 0..1 or 0..255")
    if images.max() > 1.0:
        images = images / 255.0  # 0..255 pixels, like the idx files
    return images


def predict(net, images):
    import torch

    from model import normalize

    with torch.no_grad():
        probabilities = torch.softmax(net(normalize(images)), dim=1)
    return {
        "predictions": probabilities.argmax(1).tolist(),
        "probabilities": [[round(p, 6) for p in row] for row in probabilities.tolist()],
    }


def init():
    global model
    import torch

    torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS") or 1)))
    model = load_model(find_model_folder(os.environ["AZUREML_MODEL_DIR"]))


def run(raw_data):
    return predict(model, parse_images(raw_data))
