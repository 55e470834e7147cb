"""Reading user images robustly: any source, any mode, EXIF rotation, colour profiles, pixel limits.

Everything unreadable raises :class:`BadImageError` with a message fit to show a user.

Example:
    >>> import numpy as np
    >>> read_image(np.zeros((4, 6), dtype=np.uint8)).shape
    (4, 6, 3)
"""

from __future__ import annotations

import functools
import io
import os
import typing
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from bgremover import settings
from bgremover.errors import BadImageError

ImageFile.LOAD_TRUNCATED_IMAGES = False

ImageSource = str | os.PathLike | bytes | typing.BinaryIO | Image.Image | np.ndarray

_SOURCES = "a path, bytes, a binary file object, a PIL image or a numpy array"


def _read_stream(stream: typing.BinaryIO, max_bytes: int) -> bytes:
    """The bytes of an open file or upload (``open(..., "rb")``, ``io.BytesIO``, a web framework's upload)."""
    data = stream.read(max_bytes + 1)
    if isinstance(data, str):
        raise BadImageError("the file object is open in text mode; open it with 'rb'")
    if not isinstance(data, bytes | bytearray | memoryview):
        raise BadImageError(f"the file object's read() gave {type(data).__name__}, not bytes")
    if len(data) > max_bytes:
        raise BadImageError(f"the file is more than {max_bytes} bytes; the limit is {max_bytes}")
    return bytes(data)


def _source_name(source: object) -> str:
    if isinstance(source, str | os.PathLike):
        return Path(source).name
    name = getattr(source, "name", None) if hasattr(source, "read") else None
    return Path(name).name if isinstance(name, str) and name else "the image"


@functools.cache
def register_formats() -> bool:
    """Teach Pillow the iPhone's HEIC/HEIF photos (through ``pillow-heif``, the ``heif`` extra); ``False``
    where that package is missing. Called before any image is read; idempotent."""
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True


def _open(source: ImageSource, max_bytes: int) -> Image.Image:
    if isinstance(source, Image.Image):
        return source
    if hasattr(source, "read"):
        source = _read_stream(source, max_bytes)
    if isinstance(source, bytearray | memoryview):
        source = bytes(source)
    if isinstance(source, bytes):
        if not source:
            raise BadImageError("the file is empty (0 bytes)")
        if len(source) > max_bytes:
            raise BadImageError(f"the file is {len(source)} bytes; the limit is {max_bytes}")
        return Image.open(io.BytesIO(source))
    if not isinstance(source, str | os.PathLike):
        raise TypeError(f"bgremover reads {_SOURCES}, not {type(source).__name__}")
    path = Path(source)
    if not path.is_file():
        raise BadImageError(f"no such file: {path.name}")
    size = path.stat().st_size
    if size == 0:
        raise BadImageError(f"{path.name}: the file is empty (0 bytes)")
    if size > max_bytes:
        raise BadImageError(f"{path.name}: the file is {size} bytes; the limit is {max_bytes}")
    return Image.open(path)


@functools.cache
def _srgb_profile():
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(image: Image.Image, name: str) -> Image.Image:
    """``image`` in sRGB where it carries another colour profile (a phone's Display P3, a camera's Adobe
    RGB, a print CMYK): its numbers mean other colours, and the network, the backgrounds and every output
    are sRGB, so read as they are its colours would shift (saturated ones dull). Pillow's LittleCMS
    converts them; an sRGB or absent profile leaves the image as it is, and one that cannot be read too,
    with a warning."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    from PIL import ImageCms

    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        if image.mode != "CMYK" and "srgb" in ImageCms.getProfileDescription(source).lower().replace(" ", ""):
            return image
        return ImageCms.profileToProfile(
            image, source, _srgb_profile(), outputMode="RGBA" if image.mode == "RGBA" else "RGB"
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        warnings.warn(f"{name}: its colour profile cannot be read; its colours are taken as sRGB", stacklevel=3)
        return image


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(image, dtype=np.float64)
        if image.mode == "F" and array.max() <= 1.0:
            peak = 1.0  # a float image in [0, 1] (scientific TIFFs, HDR exports)
        else:
            peak = 65535.0 if image.mode.startswith("I;16") or array.max() > 255 else 255.0
        image = Image.fromarray(np.clip(array / peak * 255.0 + 0.5, 0, 255).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def read_image(
    source: ImageSource,
    max_pixels: int | None = None,
    max_bytes: int | None = None,
) -> np.ndarray:
    """Decode ``source`` (path, bytes, binary file object, PIL image or numpy array) to RGB uint8 H×W×3.

    EXIF orientation is applied; a colour profile other than sRGB is converted to sRGB (a phone's
    Display P3, a camera's Adobe RGB); grayscale, palette, CMYK, 16-bit and alpha images are converted
    (transparent pixels become white); an animated image gives its first frame. Images above
    ``max_pixels`` or files above ``max_bytes`` are refused before decoding (defaults:
    :mod:`bgremover.settings`).
    """
    max_pixels = max_pixels or settings.max_pixels()
    max_bytes = max_bytes or settings.max_bytes()
    if isinstance(source, np.ndarray):
        return _array_to_rgb(source, max_pixels)
    register_formats()
    name = _source_name(source)
    opened = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = _open(source, max_bytes)
            opened = None if image is source else image  # closed below: a GIF or ICO keeps its file open
            width, height = image.size
            if width * height > max_pixels:
                raise BadImageError(
                    f"{name} is {width}×{height} = {width * height:,} pixels; the limit is {max_pixels:,}"
                )
            if width < 2 or height < 2:
                raise BadImageError(f"{name} is {width}×{height}; it must be at least 2×2 pixels")
            image.seek(0)
            image = ImageOps.exif_transpose(image)
            image.load()
            return np.ascontiguousarray(np.asarray(_to_rgb(_to_srgb(image, name))))
    except BadImageError:
        raise
    except UnidentifiedImageError as err:
        hint = "" if register_formats() else " (HEIC photos need pillow-heif: pip install 'bgremover[heif]')"
        raise BadImageError(f"{name} is not an image format bgremover can read{hint}") from err
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise BadImageError(f"{name} has more pixels than the limit of {max_pixels:,}") from err
    except PermissionError as err:
        raise BadImageError(f"{name} cannot be read: permission denied") from err
    except (OSError, ValueError, SyntaxError, EOFError) as err:
        raise BadImageError(f"{name} is corrupt or truncated ({err})") from err
    finally:
        if opened is not None:
            opened.close()


def _array_to_rgb(array: np.ndarray, max_pixels: int) -> np.ndarray:
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise BadImageError(f"expected an H×W, H×W×3 or H×W×4 array, got shape {array.shape}")
    if array.shape[0] * array.shape[1] > max_pixels:
        raise BadImageError(f"the array has {array.shape[0] * array.shape[1]:,} pixels; the limit is {max_pixels:,}")
    if array.dtype != np.uint8:
        scale = (
            255.0
            if np.issubdtype(array.dtype, np.floating) and array.max() <= 1.0
            else (255.0 / 65535.0 if array.dtype == np.uint16 else 1.0)
        )
        array = np.clip(array.astype(np.float64) * scale + 0.5, 0, 255).astype(np.uint8)
    if array.ndim == 3 and array.shape[2] == 4:  # alpha: composited on white, as a file's would be
        return read_image(Image.fromarray(array), max_pixels=max_pixels)
    if array.shape[0] < 2 or array.shape[1] < 2:
        raise BadImageError(f"the image is {array.shape[1]}×{array.shape[0]}; it must be at least 2×2 pixels")
    # RGB or gray: copied as it is (0.2 ms for an 842×550 photo; 5.3 ms through Pillow: benchmarks/stages.py)
    rgb = array if array.ndim == 3 else np.repeat(array[..., None], 3, axis=2)
    return np.array(rgb, dtype=np.uint8, order="C", copy=True)


def read_mask(path: str | os.PathLike) -> np.ndarray:
    """Read a single-channel mask as float32 in [0, 1] (255 = person)."""
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    except (OSError, UnidentifiedImageError) as err:
        raise BadImageError(f"{Path(path).name}: unreadable mask ({err})") from err
