"""Reading every kind of input: modes, EXIF, limits, and the bad-input corpus."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from bgremover import BadImageError, read_image
from tests.corpus import EXPECT_RESULT, expected_size, photo, write_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.mark.parametrize("name", sorted(EXPECT_RESULT))
def test_corpus_through_reader(corpus, name):
    if EXPECT_RESULT[name]:
        rgb = read_image(corpus[name])
        assert rgb.dtype == np.uint8 and rgb.shape == (*expected_size(name)[::-1], 3)
    else:
        with pytest.raises(BadImageError) as info:
            read_image(corpus[name])
        assert str(info.value).startswith(corpus[name].name)  # the message names the file


@pytest.mark.parametrize("mode", ["L", "LA", "P", "RGBA", "CMYK", "I;16", "I", "1"])
def test_every_mode_becomes_rgb(mode):
    image = photo().convert("L").convert(mode) if mode in ("I;16", "I", "1") else photo().convert(mode)
    rgb = read_image(image)
    assert rgb.shape == (64, 96, 3) and rgb.dtype == np.uint8


def test_sixteen_bit_keeps_brightness():
    gray = np.asarray(photo().convert("L"))
    rgb = read_image(Image.fromarray(gray.astype(np.uint16) * 257))
    assert np.abs(rgb[..., 0].astype(int) - gray).max() <= 1


def test_exif_rotation_is_applied(corpus):
    rotated = read_image(corpus["exif_rotated.jpg"])
    upright = np.asarray(photo())
    assert rotated.shape[:2] == (96, 64)
    assert np.abs(rotated.astype(int) - np.rot90(upright, k=-1)).mean() < 8


def test_transparent_pixels_become_white():
    rgba = np.zeros((4, 4, 4), np.uint8)
    assert (read_image(Image.fromarray(rgba, "RGBA")) == 255).all()


def test_sources_bytes_arrays_and_paths(corpus):
    from_path = read_image(corpus["photo.webp"])
    assert np.array_equal(read_image(corpus["photo.webp"].read_bytes()), from_path)
    assert read_image(np.zeros((5, 6), np.float32)).shape == (5, 6, 3)
    assert read_image(np.ones((5, 6, 4), np.uint16) * 65535).max() == 255
    with pytest.raises(BadImageError, match="array"):
        read_image(np.zeros((5, 6, 2)))
    with pytest.raises(BadImageError, match="the image is 6×1; it must be at least 2×2 pixels"):
        read_image(np.zeros((1, 6, 3), np.uint8))


@pytest.mark.parametrize("name", ["phone.heic", "still.avif"])
def test_phone_formats_decode_to_the_photo(corpus, name):
    """HEIC (an iPhone's default) and AVIF come back as the picture that was encoded."""
    rgb = read_image(corpus[name])
    assert np.abs(rgb.astype(int) - np.asarray(photo()).astype(int)).mean() < 4


def test_binary_file_objects_read_like_their_path(corpus):
    """An open file, a BytesIO or a web framework's upload gives the pixels its path gives."""
    from_path = read_image(corpus["photo.webp"])
    with open(corpus["photo.webp"], "rb") as stream:
        assert np.array_equal(read_image(stream), from_path)
    assert np.array_equal(read_image(io.BytesIO(corpus["photo.webp"].read_bytes())), from_path)
    assert np.array_equal(read_image(bytearray(corpus["photo.webp"].read_bytes())), from_path)
    with open(corpus["truncated.jpg"], "rb") as stream, pytest.raises(BadImageError, match=r"^truncated\.jpg is"):
        read_image(stream)
    with open(corpus["photo.webp"], "rb") as stream, pytest.raises(BadImageError, match="more than 10 bytes"):
        read_image(stream, max_bytes=10)
    with pytest.raises(BadImageError, match="empty"):
        read_image(io.BytesIO(b""))
    with open(corpus["photo.webp"], encoding="latin-1") as text, pytest.raises(BadImageError, match="'rb'"):
        read_image(text)


def test_other_types_are_refused_by_name():
    with pytest.raises(TypeError, match=r"^bgremover reads a path, bytes, .* not int$"):
        read_image(42)


def test_arrays_come_back_as_the_same_pixels_in_a_copy_of_their_own():
    """An RGB or gray array gives the pixels Pillow would give, contiguous, never the caller's buffer."""
    rgb = np.asarray(photo())
    strided = np.asarray(photo().resize((192, 64)))[:, ::2]  # not contiguous
    for array in (rgb, strided, rgb[..., 0], rgb.astype(np.float32) / 255):
        got = read_image(array)
        via_pillow = np.asarray(Image.fromarray(array if array.dtype == np.uint8 else rgb).convert("RGB"))
        assert got.flags.c_contiguous and not np.shares_memory(got, array)
        assert np.array_equal(got, via_pillow)
    with pytest.raises(BadImageError, match="no such file"):
        read_image("/nonexistent/photo.jpg")


def test_limits_are_configurable(corpus):
    with pytest.raises(BadImageError, match="limit"):
        read_image(corpus["photo.webp"], max_pixels=100)
    with pytest.raises(BadImageError, match="limit"):
        read_image(corpus["photo.webp"], max_bytes=10)
    with pytest.raises(BadImageError, match="pixels") as refused:  # 400 Mpx: Pillow refuses it while opening
        read_image(corpus["bomb.png"])
    assert str(refused.value) == "bomb.png has more pixels than the limit of 50,000,000"


def test_a_float_tiff_in_zero_to_one_is_read_as_an_image(tmp_path):
    from bgremover.io import read_image

    ramp = np.tile(np.linspace(0.0, 1.0, 64, dtype=np.float32), (32, 1))
    Image.fromarray(ramp, "F").save(tmp_path / "ramp.tif")
    rgb = read_image(tmp_path / "ramp.tif")
    assert rgb[0, 0].tolist() == [0, 0, 0] and rgb[0, -1].tolist() == [255, 255, 255]
    assert abs(float(rgb.mean()) - 127.5) < 1.0


def test_an_animated_gif_leaves_no_file_open(tmp_path):
    """Pillow keeps a multi-frame file open until the image is closed; left to the garbage collector
    it warns (ResourceWarning) and a server holds one descriptor per upload until then."""
    import gc
    import warnings

    from bgremover.io import read_image

    frames = [Image.new("RGB", (8, 8), (40 * i, 0, 0)) for i in range(3)]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        for _ in range(3):
            assert read_image(tmp_path / "a.gif")[0, 0].tolist() == [0, 0, 0]
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)], [str(w.message) for w in caught]


@pytest.mark.parametrize("scales", [(100.0,), (0,), (float("nan"),), ("1",)])
def test_scales_outside_the_range_are_refused_in_words(scales):
    from bgremover import load_model

    with pytest.raises(ValueError, match=r"each scale must be a number from 0\.1 to 4\.0"):
        load_model("fast").predict(np.zeros((32, 32, 3), np.uint8), scales=scales)
