"""Cut-outs and background replacement from an alpha matte (numpy, OpenCV and Pillow only: no torch)."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageColor

from bgremover.constants import IMAGE_SUFFIXES
from bgremover.errors import BadBackgroundError, BadImageError, UsageError
from bgremover.extras import require
from bgremover.imageops import alpha_to_uint8
from bgremover.io import ImageSource, read_image

Background = str | tuple[int, int, int] | ImageSource
GREEN_SCREEN = (0, 255, 0)  # ``background="greenscreen"``: pure green for chroma keying in an editor


def estimate_foreground(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Foreground colours without background spill (pymatting's multi-level estimator), uint8."""
    pymatting = require("pymatting", "matting", "foreground estimation")
    fg = pymatting.estimate_foreground_ml(image.astype(np.float64) / 255.0, alpha.astype(np.float64))
    return alpha_to_uint8(fg)


def parse_color(text: str) -> tuple[int, int, int]:
    """The RGB of a colour written as ``"#rrggbb"``, ``"#rgb"``, a CSS name (``"white"``) or
    ``"rgb(r, g, b)"`` with channels in 0–255; anything else raises :class:`BadBackgroundError`.
    Never reads a file: this is what a network client's colour goes through.

    Example:
        >>> parse_color("#00ff00"), parse_color("rgb(10, 20, 30)")
        ((0, 255, 0), (10, 20, 30))
        >>> parse_color("rgb(300,0,0)")
        Traceback (most recent call last):
        ...
        bgremover.errors.BadBackgroundError: colour 'rgb(300,0,0)' has a channel outside 0-255
    """
    shown = text if len(str(text)) <= 40 else f"{str(text)[:40]}..."
    try:
        rgb = ImageColor.getrgb(str(text))[:3]
    except ValueError:
        raise BadBackgroundError(
            f"{shown!r} is not a colour: use #rrggbb, a colour name such as 'white', or rgb(r, g, b)"
        ) from None
    if not all(0 <= channel <= 255 for channel in rgb):
        raise BadBackgroundError(f"colour {shown!r} has a channel outside 0-255")
    return rgb


def is_transparent(background: Background) -> bool:
    """Whether ``background`` asks for a transparent result (``"transparent"`` or ``"none"``).

    Example:
        >>> is_transparent("none"), is_transparent("#ffffff"), is_transparent((0, 0, 0))
        (True, False, False)
    """
    return isinstance(background, str) and background in ("transparent", "none")


def background_plate(background: Background, image: np.ndarray) -> np.ndarray | None:
    """The H×W×3 uint8 plate for ``background`` (``None`` for transparent).

    Accepts ``"transparent"``, ``"blur"``, ``"greenscreen"``, a colour (``(r, g, b)``, ``"#rrggbb"``, ``"white"``)
    or an image (path, bytes, PIL, array), which is scaled to cover the frame and centre-cropped.

    Example:
        >>> background_plate((255, 0, 0), np.zeros((2, 3, 3), np.uint8))[0, 0].tolist()
        [255, 0, 0]
    """
    height, width = image.shape[:2]
    if is_transparent(background):
        return None
    if isinstance(background, str) and background == "blur":
        sigma = max(height, width) / 60
        return cv2.GaussianBlur(image, (0, 0), sigma)
    if isinstance(background, str) and background == "greenscreen":
        background = GREEN_SCREEN
    if isinstance(background, tuple | list) and len(background) == 3:
        if not all(isinstance(c, int | np.integer) and 0 <= c <= 255 for c in background):
            raise BadBackgroundError(f"background colour {tuple(background)} needs three integers in 0-255")
        return np.broadcast_to(np.asarray(background, np.uint8), (height, width, 3)).copy()
    if isinstance(background, str) and not background.lower().endswith(IMAGE_SUFFIXES):
        try:
            rgb = parse_color(background)
        except BadBackgroundError as err:
            raise BadBackgroundError(
                f"background {background!r} is not 'transparent', 'blur', 'greenscreen', a colour or an image file"
                f" ({err})"
            ) from None
        return np.broadcast_to(np.asarray(rgb, np.uint8), (height, width, 3)).copy()
    plate = read_image(background)
    scale = max(height / plate.shape[0], width / plate.shape[1])
    plate = cv2.resize(plate, (max(width, round(plate.shape[1] * scale)), max(height, round(plate.shape[0] * scale))))
    top, left = (plate.shape[0] - height) // 2, (plate.shape[1] - width) // 2
    return plate[top : top + height, left : left + width]


def prepared_background(background: Background) -> Background:
    """``background`` checked once and made cheap to reuse across many photos: an image file is read
    into an array (a colour, ``"blur"`` and the like stay as they are). Raises the message
    :func:`background_plate` would, before any photo is cut.

    Example:
        >>> prepared_background("#00ff00")
        '#00ff00'
        >>> prepared_background(np.zeros((2, 3, 3), np.uint8)).shape
        (2, 3, 3)
    """
    if isinstance(background, bytes | bytearray | np.ndarray | Image.Image) or (
        isinstance(background, str) and background.lower().endswith(IMAGE_SUFFIXES)
    ):
        try:
            return read_image(background)
        except BadImageError as err:
            raise BadBackgroundError(f"the background image: {err}") from None
    background_plate(background, np.zeros((2, 2, 3), np.uint8))
    return background


def compose(
    image: np.ndarray,
    alpha: np.ndarray,
    background: Background = "transparent",
    foreground_estimation: bool = False,
) -> Image.Image:
    """Blend ``image`` over ``background`` with ``alpha``; RGBA for transparent, else RGB."""
    foreground = estimate_foreground(image, alpha) if foreground_estimation else image
    plate = background_plate(background, image)
    if plate is None:
        a8 = alpha_to_uint8(alpha)
        return Image.fromarray(np.dstack([foreground, a8]), "RGBA")
    return Image.fromarray(blend(foreground, alpha, plate), "RGB")


def blend(foreground: np.ndarray, alpha: np.ndarray, plate: np.ndarray) -> np.ndarray:
    """``alpha · foreground + (1 − alpha) · plate`` as uint8 H×W×3.

    Example:
        >>> blend(np.full((1, 1, 3), 200, np.uint8), np.full((1, 1), 0.5), np.zeros((1, 1, 3), np.uint8)).tolist()
        [[[100, 100, 100]]]
    """
    if alpha.shape != foreground.shape[:2] or plate.shape != foreground.shape:
        raise UsageError(
            f"foreground {foreground.shape}, alpha {alpha.shape} and plate {plate.shape} must have one size"
        )
    a = alpha[..., None].astype(np.float32)
    out = a * foreground.astype(np.float32) + (1 - a) * plate.astype(np.float32)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def hard_mask(alpha: np.ndarray, threshold: float) -> np.ndarray:
    """1 where ``alpha >= threshold``, else 0 (float32): a cut-out with hard edges.

    Example:
        >>> hard_mask(np.array([0.2, 0.5, 0.9], np.float32), 0.5).tolist()
        [0.0, 1.0, 1.0]
    """
    return (alpha >= threshold).astype(np.float32)
