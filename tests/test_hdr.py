"""HDR clips (HLG as iPhones record, PQ as HDR10) are read as a player shows them on an SDR screen.

Each standard step of :mod:`bgremover.hdr` is checked against colour-science's implementation of
BT.2100, BT.2087 and BT.1886; real 10-bit clips, written from SDR colours with colour-science's inverse
of those steps, read back to the colours they were made from.
"""

from __future__ import annotations

import zipfile
from fractions import Fraction
from pathlib import Path

import av
import colour
import cv2
import numpy as np
import pytest
from av.video.reformatter import ColorRange, Colorspace
from colour.models import eotf_BT1886, eotf_BT2100_HLG, eotf_inverse_BT2100_HLG, eotf_inverse_ST2084, eotf_ST2084

from bgremover import hdr, load_model, read_frames, remove_background_video
from bgremover.errors import UsageError

REPO = Path(__file__).resolve().parents[1]
PATCHES = np.array([(200, 60, 60), (40, 180, 70), (60, 80, 220), (150, 120, 90), (30, 30, 30)], np.uint8)


def hdr_signal(rgb: np.ndarray, transfer: int) -> np.ndarray:
    """SDR 8-bit colours as an HDR camera records them, by colour-science: BT.1886 display light with SDR
    white at BT.2408's 203 cd/m², BT.709 → BT.2020 primaries, the transfer's inverse EOTF; 16-bit codes."""
    light = eotf_BT1886(rgb / 255.0, L_B=0, L_W=1) * hdr.REFERENCE_WHITE
    wide = colour.RGB_to_RGB(light, "ITU-R BT.709", "ITU-R BT.2020")
    with np.errstate(invalid="ignore", divide="ignore"):  # colour's HLG evaluates both branches of np.where
        signal = eotf_inverse_BT2100_HLG(wide, L_B=0, L_W=1000) if transfer == hdr.HLG else eotf_inverse_ST2084(wide)
    return np.round(np.clip(signal, 0, 1) * 65535).astype(np.uint16)


@pytest.mark.parametrize("peak", [1000.0, 2000.0])
def test_hlg_display_light_is_bt2100s_eotf(peak):
    signal = np.random.default_rng(0).random((256, 3))
    np.testing.assert_allclose(
        hdr.hlg_display_light(signal, peak), eotf_BT2100_HLG(signal, L_B=0, L_W=peak), rtol=1e-5, atol=1e-3
    )


def test_pq_display_light_is_st2084s_eotf():
    signal = np.random.default_rng(1).random((256, 3))
    np.testing.assert_allclose(hdr.pq_display_light(signal), eotf_ST2084(signal), rtol=1e-6, atol=1e-6)


def test_primaries_matrix_is_bt2087s():
    bt2020, bt709 = colour.RGB_COLOURSPACES["ITU-R BT.2020"], colour.RGB_COLOURSPACES["ITU-R BT.709"]
    np.testing.assert_allclose(hdr.BT2020_TO_BT709, colour.matrix_RGB_to_RGB(bt2020, bt709), atol=1e-7)
    np.testing.assert_allclose(hdr.BT2020_LUMA, bt2020.matrix_RGB_to_XYZ[1], atol=1e-4)


@pytest.mark.parametrize("transfer", [hdr.HLG, hdr.PQ], ids=["hlg", "pq"])
def test_colours_below_the_knee_come_back_as_they_were_recorded(transfer):
    """Every colour whose brightest channel is below the knee (SDR 232) passes unchanged, to the level;
    the darkest channel of a saturated colour within 3 levels near black, where BT.1886's gamma magnifies
    the 16-bit signal's rounding."""
    colours = np.random.default_rng(2).integers(0, 226, (4096, 3)).astype(np.uint8)[None]
    back = hdr.hdr_to_sdr(hdr_signal(colours, transfer), transfer)
    error = np.abs(back.astype(int) - colours)
    assert error[colours >= 16].max() <= 1 and error.max() <= 3


@pytest.mark.parametrize("transfer", [hdr.HLG, hdr.PQ], ids=["hlg", "pq"])
def test_white_and_highlights(transfer):
    """Reference white is near SDR white and neutral; brighter greys up to 1000 cd/m² stay apart (rolled
    off, not clipped) and reach white only near it; a bright colour keeps its hue."""
    if transfer == hdr.HLG:
        greys = np.linspace(0.75, 1.0, 11)  # HLG: 75 % is reference white, 100 % the peak
    else:
        greys = eotf_inverse_ST2084(np.geomspace(hdr.REFERENCE_WHITE, 1000.0, 11))  # PQ: 203 to 1000 cd/m²
    ramp = np.round(np.repeat(greys[None, :, None], 3, axis=2) * 65535).astype(np.uint16)
    sdr = hdr.hdr_to_sdr(ramp, transfer)[0]
    assert (sdr[:, 0] == sdr[:, 1]).all() and (sdr[:, 1] == sdr[:, 2]).all()  # neutral stays neutral
    assert 240 <= sdr[0, 0] <= 250  # reference white
    assert (np.diff(sdr[:, 0].astype(int)) >= 0).all() and sdr[-1, 0] == 255  # brighter is never darker
    assert len(np.unique(sdr[:, 0])) >= 7  # highlight detail kept: clipped, all but the first were 255
    orange = hdr_signal(np.array([[[255, 140, 0]]], np.uint8), transfer).astype(np.float64)
    bright = np.round(np.clip(orange * (1.12 if transfer == hdr.HLG else 1.08), 0, 65535)).astype(np.uint16)
    out = hdr.hdr_to_sdr(bright, transfer)[0, 0].astype(int)
    hue = cv2.cvtColor(np.uint8([[out, [255, 140, 0]]]), cv2.COLOR_RGB2HSV)[0, :, 0].astype(int)
    assert out[0] >= 250 and abs(hue[0] - hue[1]) <= 2


def test_hdr_to_sdr_refuses_other_input():
    with pytest.raises(UsageError, match=r"PQ \(16\) or HLG \(18\)"):
        hdr.hdr_to_sdr(np.zeros((2, 2, 3), np.uint16), 1)
    with pytest.raises(UsageError, match="H×W×3 uint16"):
        hdr.hdr_to_sdr(np.zeros((2, 2, 3), np.uint8), hdr.HLG)


def write_hdr_clip(path: Path, frames: list[np.ndarray], transfer: int, codec: str, pix_fmt: str) -> Path:
    """A clip of 16-bit BT.2020 R'G'B' ``frames``, converted with the BT.2020 matrix at limited range and
    tagged BT.2020 / ``transfer`` as a camera tags it."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=10)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = pix_fmt
        if codec == "libx265":
            stream.options = {"x265-params": "log-level=error:lossless=1:bframes=0"}
        context = stream.codec_context
        context.color_primaries, context.color_trc, context.colorspace, context.color_range = 9, transfer, 9, 1
        for pts, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb48le")
            frame = frame.reformat(format=pix_fmt, dst_colorspace=Colorspace.BT2020, dst_color_range=ColorRange.MPEG)
            frame.pts, frame.time_base = pts, Fraction(1, 10)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


@pytest.mark.parametrize(
    "transfer, name, codec, pix_fmt",
    [
        (hdr.HLG, "iphone.mov", "libx265", "yuv420p10le"),  # an iPhone's HEVC Main 10 HLG
        (hdr.PQ, "hdr10.mkv", "ffv1", "yuv444p10le"),
    ],
    ids=["hlg-hevc", "pq-ffv1"],
)
def test_an_hdr_clip_reads_as_the_colours_it_was_recorded_from(tmp_path, transfer, name, codec, pix_fmt):
    frame = np.repeat(np.repeat(PATCHES[None], 64, axis=0), 32, axis=1)  # 64×160: five 32-wide patches
    clip = write_hdr_clip(tmp_path / name, [hdr_signal(frame, transfer)] * 2, transfer, codec, pix_fmt)
    with av.open(str(clip)) as container:
        decoded = next(container.decode(video=0))
        assert (decoded.color_trc, decoded.colorspace) == (transfer, 9)
        as_if_sdr = decoded.to_ndarray(format="rgb24")[32, 16::32].astype(int)
    read = [rgb for rgb, _ in read_frames(clip)]
    assert len(read) == 2 and read[0].shape == frame.shape
    assert np.abs(read[0][32, 16::32].astype(int) - PATCHES).max() <= 3
    assert np.abs(as_if_sdr - PATCHES).max() > 20  # what reading it as SDR gave


def test_an_hlg_clip_is_cut_as_the_frames_it_was_recorded_from(tmp_path):
    """Three frames of the committed example clip (a man on a bridge, two close-ups under neon light)
    recorded again as HLG (lossless 4:4:4, so that only the conversion differs): the cut-outs have the
    recorded colours and the alpha that the recorded frames get as photos; read as if SDR, the alpha
    moves by more than 0.03 per pixel on average."""
    example = REPO / "bgremover_app" / "examples" / "video_tears_of_steel_10s.mp4"
    recorded = []
    for index, (rgb, _) in enumerate(read_frames(example)):
        if index in (0, 75, 120):
            recorded.append(rgb)
        if index == 120:
            break
    signals = [hdr_signal(rgb, hdr.HLG) for rgb in recorded]
    clip = write_hdr_clip(tmp_path / "hlg.mkv", signals, hdr.HLG, "ffv1", "yuv444p10le")
    model = load_model("fast", device="cpu", backend="torch")
    result = remove_background_video(clip, tmp_path / "cut.zip", model=model, subject="all", stabilize=False)
    with zipfile.ZipFile(result.path) as archive:
        names = sorted(n for n in archive.namelist() if n.endswith(".png"))
        cuts = [cv2.imdecode(np.frombuffer(archive.read(n), np.uint8), cv2.IMREAD_UNCHANGED) for n in names]
    assert len(cuts) == 3
    for rgb, signal, cut in zip(recorded, signals, cuts, strict=True):
        assert np.abs(cut[..., 2::-1].astype(int) - rgb).mean() < 1  # PNG's BGRA → RGB
        photo = model.predict(rgb, subject="all")
        assert (photo >= 0.5).mean() > 0.05
        assert np.abs(cut[..., 3] / 255.0 - photo).mean() < 0.02
        as_if_sdr = model.predict((signal // 257).astype(np.uint8), subject="all")
        assert np.abs(as_if_sdr - photo).mean() > 0.03
