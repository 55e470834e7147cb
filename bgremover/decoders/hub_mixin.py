"""The Hugging Face Hub mixin every bgremover architecture shares (model-card metadata in one place)."""

import copy
from pathlib import Path

from huggingface_hub import PyTorchModelHubMixin

from bgremover.prune import make_permanent, pruning_masks


class BgremoverHubMixin(
    PyTorchModelHubMixin,
    library_name="bgremover",
    repo_url="https://github.com/bgremover/bgremover",
    tags=["image-segmentation", "background-removal", "person-segmentation"],
    license="apache-2.0",
):
    """``save_pretrained`` / ``from_pretrained`` / ``push_to_hub`` with bgremover's card metadata."""

    def _save_pretrained(self, save_directory: Path) -> None:
        """Write the weights; a model with pruning masks attached is saved with them folded in."""
        model = make_permanent(copy.deepcopy(self)) if pruning_masks(self) else self
        PyTorchModelHubMixin._save_pretrained(model, save_directory)
