"""Every shipped model gives the stored answer on fixed photos (PyTorch fp32): catches a changed model,
a broken preprocessing step or a resize that moved by a pixel."""

from __future__ import annotations

import numpy as np
import pytest

from bgremover import load_model
from tests.golden import load, photo_paths, signature


@pytest.mark.parametrize("model", ["default", "fast"])
def test_shipped_model_matches_its_golden_outputs(model):
    segmenter = load_model(model, device="cpu", backend="torch")
    golden = load(model)
    for path in photo_paths():
        got, want = signature(segmenter.predict(path)), golden[path.name]
        assert got["mean"] == pytest.approx(want["mean"], abs=2e-3), path.name
        assert got["foreground"] == pytest.approx(want["foreground"], abs=2e-3), path.name
        assert np.abs(np.subtract(got["grid"], want["grid"])).max() <= 0.01, path.name
