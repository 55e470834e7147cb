"""bgremover: person background removal with an Attention U-Net.

Example:
    >>> import bgremover
    >>> sorted(bgremover.ARCHITECTURES)
    ['attention_unet', 'deeplabv3plus', 'unet']
"""

from bgremover.compose import compose, remove_background
from bgremover.factory import ARCHITECTURES, create_model
from bgremover.hub import ModelNotFoundError
from bgremover.inference import Segmenter, load_model
from bgremover.io import BadImageError, read_image

__all__ = [
    "ARCHITECTURES",
    "BadImageError",
    "ModelNotFoundError",
    "Segmenter",
    "compose",
    "create_model",
    "load_model",
    "read_image",
    "remove_background",
]
__version__ = "0.1.0"
