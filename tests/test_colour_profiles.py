"""Photos tagged with a colour profile other than sRGB (a phone's Display P3, a camera's Adobe RGB) are read
in sRGB, checked against the profile's own arithmetic, so a cut-out keeps the photo's colours."""

from __future__ import annotations

import io
import struct
import warnings

import numpy as np
import pytest
from PIL import Image, ImageCms

from bgremover.io import read_image

# Display P3's primaries adapted to D50, as its ICC profile stores them (columns of its RGB → XYZ matrix)
P3_PRIMARIES = ((0.515102, 0.241196, -0.001050), (0.291965, 0.692245, 0.041889), (0.157153, 0.066561, 0.784378))
# LittleCMS's sRGB (Pillow's ImageCms.createProfile("sRGB")): its RGB → XYZ (D50) matrix
SRGB_TO_XYZ = np.array([[0.436066, 0.385147, 0.143066], [0.222488, 0.716873, 0.060608], [0.013916, 0.097076, 0.714096]])
COLOURS = np.array([[200, 100, 100], [30, 180, 60], [90, 90, 220], [128, 128, 128], [250, 240, 10]], np.uint8)


def matrix_profile(primaries, gamma: float, description: str) -> bytes:
    """An ICC v2 display profile of three primaries (XYZ, D50) and one gamma: the bytes a camera or
    phone embeds, written field by field from the ICC specification."""

    def fixed(value: float) -> bytes:  # s15Fixed16Number
        return struct.pack(">i", round(value * 65536))

    def xyz(values) -> bytes:
        return b"XYZ " + bytes(4) + b"".join(fixed(v) for v in values)

    text = description.encode() + b"\0"
    desc = b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(8 + 3 + 67)
    curve = b"curv" + bytes(4) + struct.pack(">IH", 1, round(gamma * 256))
    tags = [(b"desc", desc), (b"wtpt", xyz((0.9642, 1.0, 0.8249))), (b"cprt", b"text" + bytes(4) + b"none\0")]
    tags += [(name, xyz(primary)) for name, primary in zip((b"rXYZ", b"gXYZ", b"bXYZ"), primaries, strict=True)]
    tags += [(name, curve) for name in (b"rTRC", b"gTRC", b"bTRC")]
    start = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for name, body in tags:
        body += bytes(-len(body) % 4)
        table += name + struct.pack(">II", start + len(data), len(body))
        data += body
    header = struct.pack(">I", start + len(data)) + b"lcms" + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ " + bytes(12)
    header += b"acsp" + bytes(28) + fixed(0.9642) + fixed(1.0) + fixed(0.8249) + bytes(48)
    return header + struct.pack(">I", len(tags)) + table + data


def reference_to_srgb(rgb: np.ndarray, primaries, gamma: float) -> np.ndarray:
    """The profile's colours in sRGB by its arithmetic: undo the gamma, to XYZ by its primaries, to linear
    sRGB by the inverse of sRGB's matrix, clip to sRGB's gamut, sRGB's transfer curve."""
    linear = (rgb / 255.0) ** gamma @ np.array(primaries)
    srgb = np.clip(linear @ np.linalg.inv(SRGB_TO_XYZ).T, 0, 1)
    encoded = np.where(srgb <= 0.0031308, 12.92 * srgb, 1.055 * srgb ** (1 / 2.4) - 0.055)
    return encoded * 255


SAVE_OPTIONS = {"JPEG": {"quality": 100, "subsampling": 0}, "HEIF": {"quality": -1}}  # the least loss each allows


def tagged(rgb: np.ndarray, profile: bytes, fmt: str, mode: str = "RGB") -> bytes:
    if fmt == "HEIF":
        pytest.importorskip("pillow_heif", reason="HEIC is the heif extra (requirements.txt installs it)")
        from bgremover.io import register_formats

        register_formats()
    image = Image.fromarray(rgb)
    if mode == "RGBA":
        image = image.convert("RGBA")
    buffer = io.BytesIO()
    image.save(buffer, fmt, icc_profile=profile, **SAVE_OPTIONS.get(fmt, {}))
    return buffer.getvalue()


@pytest.mark.parametrize("fmt, mode", [("PNG", "RGB"), ("PNG", "RGBA"), ("JPEG", "RGB"), ("HEIF", "RGB")])
def test_a_wide_gamut_photo_is_read_in_srgb_as_its_profile_says(fmt, mode):
    """Display P3 patches (PNG, PNG with alpha, JPEG, an iPhone's HEIC) read as the reference conversion gives
    them, within a level (JPEG and HEIC: their own loss); the saturated ones change by many levels, so the
    test tells a conversion from none."""
    patches = np.repeat(np.repeat(COLOURS[None], 8, axis=0), 8, axis=1)  # 8×40: five 8×8 patches
    profile = matrix_profile(P3_PRIMARIES, 2.2, "Display P3 (test)")
    read = read_image(tagged(patches, profile, fmt, mode)).astype(np.float64)
    centres = read[4, 4::8]
    expected = reference_to_srgb(COLOURS, P3_PRIMARIES, 2.2)
    assert np.abs(centres - expected).max() <= (1.0 if fmt == "PNG" else 3.0)
    assert np.abs(expected - COLOURS).max() > 20  # what reading the numbers as sRGB would get wrong


def test_srgb_and_untagged_photos_are_read_unchanged_and_a_broken_profile_is_named():
    """An sRGB profile or none: the pixels as stored. A profile that cannot be read: the pixels as stored,
    and a warning saying their colours are taken as sRGB."""
    patches = np.repeat(COLOURS[None], 4, axis=0)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    assert np.array_equal(read_image(tagged(patches, srgb, "PNG")), patches)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.array_equal(read_image(tagged(patches, b"", "PNG")), patches)
    with pytest.warns(UserWarning, match="its colour profile cannot be read; its colours are taken as sRGB"):
        assert np.array_equal(read_image(tagged(patches, b"not an ICC profile at all", "PNG")), patches)
