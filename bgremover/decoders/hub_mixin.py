"""The Hugging Face Hub mixin every bgremover architecture shares (model-card metadata in one place)."""

from huggingface_hub import PyTorchModelHubMixin


class BgremoverHubMixin(
    PyTorchModelHubMixin,
    library_name="bgremover",
    repo_url="https://github.com/bgremover/bgremover",
    tags=["image-segmentation", "background-removal", "person-segmentation"],
    license="apache-2.0",
):
    """``save_pretrained`` / ``from_pretrained`` / ``push_to_hub`` with bgremover's card metadata."""
