"""The Hugging Face Hub mixin every bgremover architecture shares (model-card metadata in one place)."""

import copy
import dataclasses
from pathlib import Path

from huggingface_hub import PyTorchModelHubMixin
from torch.nn.utils import prune


class BgremoverHubMixin(
    PyTorchModelHubMixin,
    library_name="bgremover",
    repo_url="https://github.com/bgremover/bgremover",
    tags=["image-segmentation", "background-removal", "person-segmentation"],
    license="apache-2.0",
):
    """``save_pretrained`` / ``from_pretrained`` / ``push_to_hub`` with bgremover's card metadata."""

    run_config = None  # a RunConfig: how the saved model runs by default (config.json's "run" block)

    def save_pretrained(self, save_directory, *, config=None, **kwargs):
        """``PyTorchModelHubMixin.save_pretrained`` with the architecture's registry name (``"arch"``)
        and the run block (:class:`~bgremover.run_config.RunConfig`) written into ``config.json``."""
        from bgremover.factory import arch_name
        from bgremover.run_config import RunConfig

        document = dict(config if config is not None else (getattr(self, "_hub_mixin_config", None) or {}))
        run = self.run_config or RunConfig.from_config(document)
        mean, std = (getattr(self.encoder, k, None) for k in ("mean", "std"))
        if mean is not None and std is not None:
            run = dataclasses.replace(run, mean=tuple(mean.flatten().tolist()), std=tuple(std.flatten().tolist()))
        document.update(arch=arch_name(self), run=run.to_dict())
        return super().save_pretrained(save_directory, config=document, **kwargs)

    def _save_pretrained(self, save_directory: Path) -> None:
        """Write the weights; a model with pruning masks attached is saved with them folded in."""
        model = self
        if prune.is_pruned(self):
            from bgremover.deploy.prune import make_permanent  # deploy code, only for a model with masks attached

            model = make_permanent(copy.deepcopy(self))
        PyTorchModelHubMixin._save_pretrained(model, save_directory)
