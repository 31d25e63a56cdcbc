"""The CNN shared by train.py and score.py (the model folder stores its hyperparameters)."""

import torch
from torch import nn

__all__ = ["MNIST_MEAN", "MNIST_STD", "DigitNet", "normalize"]

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # pixel statistics of MNIST's training set, in [0, 1]


def normalize(pixels):
    """uint8 (N, 28, 28) or float in [0, 1] -> normalized float (N, 1, 28, 28)."""
    images = pixels.float()
    if pixels.dtype == torch.uint8:
        images = images / 255.0
    return ((images - MNIST_MEAN) / MNIST_STD).reshape(-1, 1, 28, 28)


def _block(in_channels, out_channels):
    """3x3 convolution, then 2x2 max pooling, then batch norm and ReLU on the pooled map.

    Pooling before normalizing does the elementwise work on a quarter of the pixels.
    """
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.MaxPool2d(2),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class DigitNet(nn.Module):
    """conv-pool, conv-pool, then a linear layer: width w gives channels w, 2w.

    Pooling right after each convolution keeps the work small (the second convolution runs on
    14x14), which is what makes an epoch of 60k images take seconds on two CPU cores.
    """

    def __init__(self, width=32, dropout=0.1):
        super().__init__()
        self.width = width
        self.features = nn.Sequential(_block(1, width), _block(width, 2 * width))  # 28 -> 14 -> 7
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(2 * width * 49, 10))

    def forward(self, x):
        return self.classifier(self.features(x))
