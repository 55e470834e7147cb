"""A corpus of bad and odd inputs, generated on disk (nothing binary is committed)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from bgremover.io import register_formats

# name -> True when a correct cut-out is expected, False when a clear error is expected
EXPECT_RESULT = {
    "empty.jpg": False,
    "truncated.jpg": False,
    "truncated.png": False,
    "text.jpg": False,
    "page.html": False,
    "one_pixel.png": False,
    "bomb.png": False,
    "huge_text_chunk.png": False,
    "sixteen_bit.png": True,
    "cmyk.jpg": True,
    "palette_transparent.png": True,
    "la.png": True,
    "exif_rotated.jpg": True,
    "animated.gif": True,
    "photo.webp": True,
    "phone.heic": True,  # an iPhone's default format (pillow-heif)
    "still.avif": True,
}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(side: int = 20000) -> bytes:
    """A ~50 kB 1-bit PNG that claims side×side pixels (a decompression bomb)."""
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row * 500) for _ in range(side // 500)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")


def photo(width: int = 96, height: int = 64) -> Image.Image:
    """A smooth RGB test picture with a bright figure in the middle."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // width, y * 255 // height, np.full_like(x, 90)], -1).astype(np.uint8)
    rgb[height // 4 : 3 * height // 4, width // 3 : 2 * width // 3] = 240
    return Image.fromarray(rgb)


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def write_corpus(folder: Path) -> dict[str, Path]:
    """Write every corpus file into ``folder``; returns name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    base = photo()
    jpeg, png = encode(base, "JPEG", quality=90), encode(base, "PNG")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    text_info = PngImagePlugin.PngInfo()
    text_info.add_text("comment", "x" * (2 * 1024 * 1024), zip=True)
    palette = base.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    palette.info["transparency"] = 0
    frames = [base, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    register_formats()  # HEIC encoding, as reading
    sixteen = Image.fromarray((np.asarray(base.convert("L"), np.uint16) * 257).astype(np.uint16))
    contents = {
        "empty.jpg": b"",
        "truncated.jpg": jpeg[: len(jpeg) // 2],
        "truncated.png": png[: len(png) // 2],
        "text.jpg": b"this is not an image, just text\n" * 10,
        "page.html": b"<!doctype html><html><body><img src=x onerror=alert(1)></body></html>",
        "one_pixel.png": encode(Image.new("RGB", (1, 1), (255, 0, 0)), "PNG"),
        "bomb.png": bomb_png(),
        "huge_text_chunk.png": encode(base, "PNG", pnginfo=text_info),
        "sixteen_bit.png": encode(sixteen, "PNG"),
        "cmyk.jpg": encode(base.convert("CMYK"), "JPEG"),
        "palette_transparent.png": encode(palette, "PNG", transparency=0),
        "la.png": encode(base.convert("LA"), "PNG"),
        "exif_rotated.jpg": encode(base, "JPEG", exif=exif),
        "animated.gif": encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0),
        "photo.webp": encode(base, "WEBP", quality=90),
        "phone.heic": encode(base, "HEIF", quality=90),
        "still.avif": encode(base, "AVIF", quality=90),
    }
    paths = {}
    for name, data in contents.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    return paths


def expected_size(name: str) -> tuple[int, int]:
    """(width, height) a correct result must have (EXIF rotation swaps the sides)."""
    return (64, 96) if name == "exif_rotated.jpg" else (96, 64)
