"""Shared fixtures. Data and weights come from ``../shared`` unless the env vars point elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("BGREMOVER_WEIGHTS_DIR", str(REPO.parent / "shared" / "weights"))
os.environ.setdefault("BGREMOVER_DATA_DIR", str(REPO.parent / "shared" / "data"))
for key, value in {
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "NO_ALBUMENTATIONS_UPDATE": "1",
}.items():
    os.environ[key] = value

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(int(os.environ.get("BGREMOVER_TEST_THREADS", "2")))
DATA = Path(os.environ["BGREMOVER_DATA_DIR"])
WEIGHTS = Path(os.environ["BGREMOVER_WEIGHTS_DIR"])
CCP = DATA / "ccp_person"
BACKGROUNDS = DATA / "backgrounds"


@pytest.fixture(scope="session")
def ccp_stems() -> list[str]:
    """Four fixed CCP training stems."""
    from bgremover.data import read_split

    return read_split(CCP / "splits" / "trainval.txt")[:4]


@pytest.fixture(scope="session")
def photo_path() -> Path:
    """A real CCP test photo on disk."""
    from bgremover.data import read_split

    return CCP / "images" / f"{read_split(CCP / 'splits' / 'test.txt')[0]}.jpg"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A small random-init model saved with ``save_pretrained`` (for plumbing tests)."""
    from bgremover import create_model

    torch.manual_seed(0)
    model = create_model("attention_unet", "resnet18", encoder_weights=None, decoder_channels=(32, 16, 16, 8, 8))
    path = tmp_path_factory.mktemp("tiny_model")
    model.save_pretrained(path)
    return path


def rng_image(height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
