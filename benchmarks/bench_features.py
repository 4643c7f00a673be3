"""HOG and color histograms: skdl's batched code vs scikit-image / OpenCV in a loop.

Data, all real:

- 2000 crops of 64 x 128 (width x height, the pedestrian-detector window) at random
  places of scikit-learn's two sample photographs (``load_sample_images``), RGB and
  converted to gray;
- the first 5000 MNIST test digits (28 x 28 gray, ``../shared/data/mnist_t10k``), and
  5000 RGB crops of 28 x 28 of the photographs.

HOG (``orientations=9, block_norm='L2-Hys'``; 8x8 cells and 3x3 blocks for 64x128,
4x4 cells and 2x2 blocks for 28x28) is compared with ``skimage.feature.hog`` called
image by image (what a user writes), and the largest difference of the features is
printed. Color histograms (8x8x8 joint bins, RGB and HSV, counts) are compared with
``cv2.calcHist`` (after ``cv2.cvtColor`` for HSV) image by image; the counts must be
equal. Everything runs on one thread (torch and OpenCV held to one).

Times are medians of ``--repeats`` runs (3 for the slow skimage loops); ratios are
taken in the same run. Run: ``python benchmarks/bench_features.py`` (about two
minutes on 2 cores); ``--device cuda`` adds HOG on the GPU.
"""

from __future__ import annotations

import argparse
import gzip
import time
from pathlib import Path

import cv2
import numpy as np
import skimage.feature
import torch
from sklearn.datasets import load_sample_images

from skdl.feature_extraction import color_histogram, hog

MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist_t10k"


def photo_crops(n, height, width, seed=0):
    """``n`` RGB crops of ``height x width`` from sklearn's sample photographs."""
    rng = np.random.default_rng(seed)
    photos = load_sample_images().images
    crops = np.empty((n, height, width, 3), dtype=np.uint8)
    for i in range(n):
        photo = photos[i % len(photos)]
        top = rng.integers(0, photo.shape[0] - height + 1)
        left = rng.integers(0, photo.shape[1] - width + 1)
        crops[i] = photo[top : top + height, left : left + width]
    return crops


def mnist(n):
    with gzip.open(MNIST / "t10k-images-idx3-ubyte.gz") as f:
        data = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return data.reshape(-1, 28, 28)[:n].copy()


def gray(images):
    return np.stack([cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) for image in images])


def median_time(repeats, fn, *args, **kwargs):
    fn(*args, **kwargs)  # warm-up (lookup tables, caches)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def skimage_loop(images, params):
    channel_axis = -1 if images.ndim == 4 else None
    return np.stack(
        [
            skimage.feature.hog(image, channel_axis=channel_axis, **params)
            for image in images
        ]
    )


def calc_hist_loop(images, code):
    out = np.empty((len(images), 512), dtype=np.float32)
    for i, image in enumerate(images):
        if code is not None:
            image = cv2.cvtColor(image, code)
        ranges = [0, 180, 0, 256, 0, 256] if code is not None else [0, 256] * 3
        out[i] = cv2.calcHist([image], [0, 1, 2], None, [8, 8, 8], ranges).ravel()
    return out


def bench_hog(cases, repeats, device):
    print("\nHOG vs skimage.feature.hog in a loop")
    header = f"{'images':<28}{'skimage img/s':>14}{'skdl img/s':>12}{'ratio':>8}"
    header += f"{'max |diff|':>12}"
    if device != "cpu":
        header += f"{device + ' img/s':>14}{'ratio':>8}"
    print(header)
    for name, images, params in cases:
        reference = skimage_loop(images, params)
        ours = hog(images, **params)
        diff = float(np.abs(ours - reference).max())
        t_ref = median_time(max(1, repeats - 2), skimage_loop, images, params)
        t_ours = median_time(repeats, hog, images, **params)
        line = f"{name:<28}{len(images) / t_ref:>14,.0f}{len(images) / t_ours:>12,.0f}"
        line += f"{t_ref / t_ours:>7.1f}x{diff:>12.2g}"
        if device != "cpu":
            on_device = hog(images, device=device, **params)
            assert np.abs(on_device - reference).max() <= 1e-5
            t_dev = median_time(repeats, hog, images, device=device, **params)
            line += f"{len(images) / t_dev:>14,.0f}{t_ref / t_dev:>7.1f}x"
        print(line, flush=True)


def bench_histogram(cases, repeats):
    print("\nColor histogram (8x8x8 joint bins, counts) vs cv2.calcHist in a loop")
    print(f"{'images':<28}{'cv2 img/s':>12}{'skdl img/s':>12}{'ratio':>8}{'equal':>7}")
    for name, images, space, code in cases:
        params = {"bins": 8, "color_space": space, "normalize": None}
        ours = color_histogram(images, **params)
        equal = np.array_equal(ours, calc_hist_loop(images, code))
        t_ref = median_time(repeats, calc_hist_loop, images, code)
        t_ours = median_time(repeats, color_histogram, images, **params)
        print(
            f"{name:<28}{len(images) / t_ref:>12,.0f}{len(images) / t_ours:>12,.0f}"
            f"{t_ref / t_ours:>7.2f}x{equal!s:>7}",
            flush=True,
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu", help="also run HOG here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    print(
        f"torch {torch.__version__}, scikit-image {skimage.__version__}, "
        f"OpenCV {cv2.__version__}"
    )

    big = photo_crops(2000, 128, 64)
    small = photo_crops(5000, 28, 28, seed=1)
    digits = mnist(5000)
    window = {"pixels_per_cell": (8, 8), "cells_per_block": (3, 3)}
    tiny = {"pixels_per_cell": (4, 4), "cells_per_block": (2, 2)}
    bench_hog(
        [
            ("2000 64x128 gray uint8", gray(big), window),
            ("2000 64x128 gray float32", gray(big).astype(np.float32) / 255, window),
            ("2000 64x128 RGB uint8", big, window),
            ("5000 28x28 MNIST uint8", digits, tiny),
        ],
        args.repeats,
        args.device,
    )
    bench_histogram(
        [
            ("2000 64x128 RGB", big, "rgb", None),
            ("2000 64x128 RGB -> HSV", big, "hsv", cv2.COLOR_RGB2HSV),
            ("5000 28x28 RGB", small, "rgb", None),
            ("5000 28x28 RGB -> HSV", small, "hsv", cv2.COLOR_RGB2HSV),
        ],
        args.repeats,
    )


if __name__ == "__main__":
    main()
