"""Tiny MNIST-like digits drawn from 5x7 glyphs, for tests and the fast CI run of the notebook.

Each image is a glyph scaled 3x, shifted a few pixels, with random stroke intensity, pixel
dropout and noise: easy enough that a small CNN learns it in seconds, varied enough that an
untrained one cannot answer it.
"""

__all__ = ["GLYPHS", "glyph_image", "make_synthetic_digits"]

GLYPHS = {
    0: ["01110", "10001", "10011", "10101", "11001", "10001", "01110"],
    1: ["00100", "01100", "00100", "00100", "00100", "00100", "01110"],
    2: ["01110", "10001", "00001", "00010", "00100", "01000", "11111"],
    3: ["11111", "00010", "00100", "00010", "00001", "10001", "01110"],
    4: ["00010", "00110", "01010", "10010", "11111", "00010", "00010"],
    5: ["11111", "10000", "11110", "00001", "00001", "10001", "01110"],
    6: ["00110", "01000", "10000", "11110", "10001", "10001", "01110"],
    7: ["11111", "00001", "00010", "00100", "01000", "01000", "01000"],
    8: ["01110", "10001", "10001", "01110", "10001", "10001", "01110"],
    9: ["01110", "10001", "10001", "01111", "00001", "00010", "01100"],
}
_SCALE = 3  # 5x7 glyph -> 15x21 pixels, centered in 28x28 like MNIST's 20x20 box


def glyph_image(digit):
    """The clean 28x28 float image (0 or 1) of a digit, centered."""
    import numpy as np

    glyph = np.array([[c == "1" for c in row] for row in GLYPHS[digit]], dtype=np.float32)
    big = np.kron(glyph, np.ones((_SCALE, _SCALE), dtype=np.float32))
    image = np.zeros((28, 28), dtype=np.float32)
    top, left = (28 - big.shape[0]) // 2, (28 - big.shape[1]) // 2
    image[top : top + big.shape[0], left : left + big.shape[1]] = big
    return image


def make_synthetic_digits(count, seed=0, max_shift=3):
    """(images uint8 (count, 28, 28), labels uint8 (count,)), classes balanced and shuffled."""
    import numpy as np

    rng = np.random.default_rng(seed)
    labels = (np.arange(count) % 10).astype(np.uint8)
    rng.shuffle(labels)
    templates = np.stack([glyph_image(d) for d in range(10)])
    images = templates[labels]
    shifts = rng.integers(-max_shift, max_shift + 1, size=(count, 2))
    for i, (dy, dx) in enumerate(shifts):
        images[i] = np.roll(images[i], (dy, dx), axis=(0, 1))
    intensity = rng.uniform(150, 255, size=(count, 1, 1))
    keep = rng.random(images.shape) > 0.15  # broken strokes
    noise = rng.normal(0, 25, size=images.shape)
    pixels = images * keep * intensity + np.abs(noise)
    return np.clip(np.rint(pixels), 0, 255).astype(np.uint8), labels
