"""Distillation teachers (:mod:`bgremover.train.teachers`): a network's logits as ``teacher_logits`` gives
them, and a fused tier's logits equal to the fused tier's own map of the same photo."""

from __future__ import annotations

import numpy as np
import torch

from bgremover import load_model
from bgremover.fusion import FusionConfig
from bgremover.hub import load_network
from bgremover.io import read_image
from bgremover.losses import teacher_logits
from bgremover.pretrained import PRETRAINED
from bgremover.train import TrainConfig, Trainer
from bgremover.train.teachers import FusedTeacher, NetworkTeacher, load_teacher
from tests.conftest import REPO, TINY

CREW = REPO / "bgremover_app" / "examples" / "group_apollo11_crew.jpg"  # committed, credited


def batch_of(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255.0


def test_a_network_teacher_gives_teacher_logits_and_a_mirror_symmetric_target():
    teacher = load_teacher("fast", scale=1.5, flip=True)
    assert isinstance(teacher, NetworkTeacher)
    images = batch_of(np.ascontiguousarray(read_image(CREW)[:128, :160]))
    logits = teacher(images)
    assert logits.shape == (1, 1, 128, 160) and not logits.requires_grad
    assert torch.equal(logits, teacher_logits(load_network("fast"), images, 1.5, True))
    assert torch.allclose(teacher(images.flip(-1)), logits.flip(-1), atol=1e-4)


def test_a_fused_teacher_gives_the_fused_tiers_own_map_of_a_network_sized_photo(selfie):
    """On a 256² photo (fast-plus's working size) the teacher's target is what fast-plus itself predicts
    for that photo, every person kept: the fast network and Selfie weighted as the tier's config says."""
    rgb = np.ascontiguousarray(read_image(CREW)[:256, :256])
    teacher = load_teacher("fast-plus", scale=1.0)
    config = FusionConfig.load(PRETRAINED["fast-plus"].folder)
    assert isinstance(teacher, FusedTeacher) and teacher.weight == config.weight
    target = torch.sigmoid(teacher(batch_of(rgb)))[0, 0].numpy()
    fast_plus = load_model("fast-plus", device="cpu", backend="torch")
    tier = fast_plus.predict(rgb, subject="all", upsample="bilinear")  # at the network's size: the map itself
    assert np.abs(target - tier).max() < 2e-3
    with torch.no_grad():
        network = torch.sigmoid(load_network("fast")(batch_of(rgb)))[0, 0].numpy()
    expected = config.weight * network + (1 - config.weight) * selfie(rgb)  # the rule, by hand
    assert np.abs(target - expected).max() < 1e-4
    assert 0.2 < (target >= 0.5).mean() < 0.9  # astronauts fill most of the crop: the target is not flat


def test_training_distils_from_a_fused_tier(tmp_path, selfie, ccp_stems):
    split = tmp_path / "split.txt"
    split.write_text("\n".join(ccp_stems))
    overrides = dict(scales=(64,), w_perceptual=0.0, teacher="fast-plus", teacher_scale=2.0, max_steps=1, epochs=1)
    Trainer(TrainConfig(**{**TINY, "split": str(split), "out_dir": str(tmp_path / "student"), **overrides})).fit()
    first = (tmp_path / "student" / "steps.jsonl").read_text().splitlines()[0]
    assert '"distill"' in first and "NaN" not in first
