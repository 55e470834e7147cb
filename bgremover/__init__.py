"""bgremover: person background removal with an Attention U-Net."""

from bgremover.factory import ARCHITECTURES, create_model

__all__ = ["ARCHITECTURES", "create_model"]
__version__ = "0.1.0"
