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
from bgremover.video import BadVideoError, probe_video, read_frames, remove_background_video, write_video

__all__ = [
    "ARCHITECTURES",
    "BadImageError",
    "BadVideoError",
    "ModelNotFoundError",
    "Segmenter",
    "compose",
    "create_model",
    "load_model",
    "probe_video",
    "read_frames",
    "read_image",
    "remove_background",
    "remove_background_video",
    "write_video",
]
__version__ = "0.1.0"
