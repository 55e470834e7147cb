"""Training: config, trainer, sanity tools, cross-validation (the trainer and torch load on first use)."""

from bgremover.train.config import TrainConfig


def __getattr__(name: str):
    if name == "Trainer":
        from bgremover.train.trainer import Trainer

        return Trainer
    raise AttributeError(f"module 'bgremover.train' has no attribute {name!r}")


__all__ = ["TrainConfig", "Trainer"]
