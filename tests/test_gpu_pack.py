"""tools/gpu/pack.py: the data and weights packed for a GPU box keep what training reads."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
from safetensors.numpy import load_file, save_file

from tests.conftest import REPO


def test_pack_shrinks_photos_to_the_largest_training_scale_and_keeps_masks_binary(tmp_path):
    data, weights, out = tmp_path / "data", tmp_path / "weights", tmp_path / "pack"
    ccp = data / "ccp_person"
    for folder in ("images", "masks", "splits"):
        (ccp / folder).mkdir(parents=True)
    rng = np.random.default_rng(0)
    for stem in ("0001", "0002"):
        cv2.imwrite(str(ccp / "images" / f"{stem}.jpg"), rng.integers(0, 255, (900, 600, 3), dtype=np.uint8))
        mask = np.zeros((900, 600), np.uint8)
        mask[200:700, 150:450] = 255
        cv2.imwrite(str(ccp / "masks" / f"{stem}.png"), mask)
    (ccp / "splits" / "trainval.txt").write_text("0001\n")
    (ccp / "SOURCE.txt").write_text("test data\n")
    (data / "backgrounds" / "images").mkdir(parents=True)
    cv2.imwrite(str(data / "backgrounds" / "images" / "bg.jpg"), np.full((300, 500, 3), 90, np.uint8))
    (weights / "encoders").mkdir(parents=True)
    (weights / "perceptual").mkdir()
    tensors = {"blocks.0.weight": np.ones((4, 3), np.float32), "classifier.weight": np.ones((10, 4), np.float32)}
    save_file(tensors, str(weights / "encoders" / "tf_efficientnet_lite2.in1k.safetensors"))
    save_file(
        {"0.weight": np.ones((2, 2), np.float32)},
        str(weights / "perceptual" / "vgg16_features_relu4_3.in1k.safetensors"),
    )

    command = [sys.executable, "tools/gpu/pack.py", "--data", str(data), "--weights", str(weights), "-o", str(out)]
    subprocess.run(command, check=True, cwd=REPO, timeout=120)

    packed = out / "data" / "ccp_person"
    assert sorted(p.name for p in (packed / "images").iterdir()) == ["0001.webp"]  # trainval only
    image = cv2.imread(str(packed / "images" / "0001.webp"))
    mask = cv2.imread(str(packed / "masks" / "0001.png"), cv2.IMREAD_GRAYSCALE)
    assert image.shape[:2] == mask.shape == (576, 384)
    assert set(np.unique(mask)) == {0, 255} and abs((mask > 0).mean() - 500 * 300 / (900 * 600)) < 0.01
    assert cv2.imread(str(out / "data" / "backgrounds" / "bg.webp")).shape[:2] == (300, 500)  # never enlarged
    encoder = load_file(str(out / "weights" / "encoders" / "tf_efficientnet_lite2.in1k.safetensors"))
    assert list(encoder) == ["blocks.0.weight"] and encoder["blocks.0.weight"].dtype == np.float16
    assert (packed / "splits" / "trainval.txt").is_file() and (packed / "SOURCE.txt").is_file()
