"""Reading back a PNG a test made: its pixel array, checked to be a real drawing, not an empty file."""
import numpy as np


def read_png(path):
    """(height, width, channels) pixels of the PNG at `path`; fails unless it holds more than one colour."""
    with open(path, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    from matplotlib.image import imread

    pixels = imread(path)
    assert np.ptp(pixels.reshape(-1, pixels.shape[-1]), axis=0).max() > 0, f"{path} is a blank image"
    return pixels
