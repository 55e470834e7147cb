"""Training: config, trainer, sanity tools, cross-validation."""

from bgremover.train.config import TrainConfig
from bgremover.train.trainer import Trainer

__all__ = ["TrainConfig", "Trainer"]
