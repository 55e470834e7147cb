"""HDR video frames to SDR: what a player shows of an HLG or PQ clip on an ordinary screen.

iPhones record HLG by default (HEVC, 10-bit, BT.2020); HDR10 and YouTube's HDR are PQ. Read as if they
were SDR, such frames come out dim and washed out: HLG's reference white (75 % signal) becomes grey 190
and every colour loses saturation, in the cut-out and in what the network sees. :func:`hdr_to_sdr`
follows ITU-R BT.2100 and BT.2408 instead:

1. the signal to display light in cd/m²: PQ's EOTF, or HLG's inverse OETF and OOTF for a 1000 cd/m²
   display (system gamma 1.2);
2. BT.2408's HDR reference white (203 cd/m²) becomes SDR's 100 % white;
3. BT.2020 primaries to BT.709 (BT.2087, in linear light; colours outside BT.709 clipped);
4. highlights above :data:`KNEE` of SDR white rolled off smoothly, reaching white at 1000 cd/m² (each
   pixel scaled by one factor, so its hue stays); below the knee nothing changes;
5. BT.1886's gamma 2.4 (an SDR screen's), as 8-bit RGB.

NumPy and OpenCV (no torch); the tests check each standard step against the colour-science library.

Example:
    >>> import numpy as np
    >>> white = np.full((1, 1, 3), 0.75 * 65535, np.uint16)  # HLG's reference white
    >>> int(hdr_to_sdr(white, HLG)[0, 0, 0]) > 240  # SDR white, not the grey 190 of reading it as SDR
    True
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

from bgremover.errors import UsageError

# FFmpeg's AVColorTransferCharacteristic numbers (PyAV's frame.color_trc) of the two HDR transfers
PQ = 16  # SMPTE ST 2084
HLG = 18  # ARIB STD-B67
HDR_TRANSFERS = (PQ, HLG)

REFERENCE_WHITE = 203.0  # cd/m², BT.2408's HDR reference white (HLG's 75 % signal on a 1000 cd/m² display)
HLG_PEAK = 1000.0  # cd/m², the nominal display for which HLG's OOTF is evaluated (system gamma 1.2)
HLG_GAMMA = 1.2
KNEE = 0.8  # share of SDR white (linear light) below which display light passes unchanged
SDR_GAMMA = 2.4  # BT.1886
BAND_PIXELS = 1 << 16  # pixels converted at once: 0.8 MB per float copy (in cache), whatever the frame's size

_HLG_A = 0.17883277  # BT.2100 Table 5
_HLG_B = 1 - 4 * _HLG_A
_HLG_C = 0.5 - _HLG_A * float(np.log(4 * _HLG_A))
_PQ_M1, _PQ_M2 = 2610 / 16384, 2523 / 4096 * 128  # BT.2100 Table 4
_PQ_C1, _PQ_C2, _PQ_C3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
BT2020_LUMA = np.asarray((0.2627, 0.6780, 0.0593), np.float32)
BT2020_TO_BT709 = np.asarray(  # ITU-R BT.2087's matrix, linear light, from the primaries and D65 to 8 digits
    (
        (1.66049100, -0.58764114, -0.07284986),
        (-0.12455047, 1.13289990, -0.00834942),
        (-0.01815076, -0.10057890, 1.11872966),
    ),
    np.float32,
)


def pq_display_light(signal: np.ndarray) -> np.ndarray:
    """PQ's EOTF: non-linear signal in [0, 1] → display light in cd/m² (0 to 10,000)."""
    power = np.power(np.clip(signal, 0.0, 1.0), 1 / _PQ_M2)
    return 10000.0 * np.power(np.maximum(power - _PQ_C1, 0.0) / (_PQ_C2 - _PQ_C3 * power), 1 / _PQ_M1)


def hlg_scene_light(signal: np.ndarray) -> np.ndarray:
    """HLG's inverse OETF: non-linear signal in [0, 1] → normalised scene light in [0, 1]."""
    signal = np.clip(signal, 0.0, 1.0)
    high = (np.exp((np.maximum(signal, 0.5) - _HLG_C) / _HLG_A) + _HLG_B) / 12
    return np.where(signal <= 0.5, signal * signal / 3, high)


def hlg_display_light(signal: np.ndarray, peak: float = HLG_PEAK) -> np.ndarray:
    """HLG's EOTF (black level 0): H×W×3 signal → display light in cd/m² on a ``peak`` cd/m² display."""
    return _hlg_ootf(hlg_scene_light(signal), peak)


def _hlg_ootf(scene: np.ndarray, peak: float) -> np.ndarray:
    """HLG's OOTF: scene light (H×W×3 in [0, 1]) → display light in cd/m²."""
    return scene * _hlg_ootf_factor(scene @ BT2020_LUMA, peak)[..., None]


def _hlg_ootf_factor(luminance: np.ndarray, peak: float) -> np.ndarray:
    """What HLG's OOTF multiplies a pixel's scene light by, from its scene luminance."""
    gamma = HLG_GAMMA + 0.42 * math.log10(peak / 1000.0)
    positive = np.maximum(luminance, np.finfo(luminance.dtype).tiny)
    return peak * cv2.pow(positive, gamma - 1).reshape(positive.shape)


def roll_off(peak: np.ndarray, knee: float = KNEE, white: float = HLG_PEAK / REFERENCE_WHITE) -> np.ndarray:
    """The factor that scales a pixel whose brightest channel, in units of SDR white, is ``peak``: 1 up
    to ``knee``; above it a Reinhard curve with slope 1 at the knee that reaches SDR white at ``white``
    (a 1000 cd/m² highlight by default), so highlights stay apart instead of clipping; brighter still,
    white. One factor for all three channels, so hues stay.

    Example:
        >>> peaks = np.array((0.5, 0.8, 1.0, 4.926, 9.0))
        >>> (peaks * roll_off(peaks)).round(3).tolist()
        [0.5, 0.8, 0.902, 1.0, 1.0]
    """
    over = np.maximum(peak - knee, 0.0)
    rolled = knee + over / (1 + over * (1 / (1 - knee) - 1 / (white - knee)))
    return np.where(peak > knee, np.minimum(rolled, 1.0) / np.maximum(peak, knee), 1.0).astype(peak.dtype, copy=False)


@functools.cache
def _codes(transfer: int) -> np.ndarray:
    """Every 16-bit code's linear value: PQ's display light in cd/m², HLG's scene light (a lookup
    table, so a 1080p frame costs one gather per channel instead of a power or exp per value)."""
    signal = np.arange(65536, dtype=np.float64) / 65535.0
    return (pq_display_light(signal) if transfer == PQ else hlg_scene_light(signal)).astype(np.float32)


@functools.cache
def _encode() -> np.ndarray:
    """The square root of SDR linear light, quantised to 16 bits (fine enough near black, where linear
    steps are coarse) → 8-bit BT.1886 code (a power per value costs more)."""
    return (np.power(np.arange(65536) / 65535.0, 2 / SDR_GAMMA) * 255.0 + 0.5).astype(np.uint8)


def hdr_to_sdr(rgb: np.ndarray, transfer: int, peak: float = HLG_PEAK) -> np.ndarray:
    """An HDR frame's BT.2020 R'G'B' (H×W×3 uint16, as decoded to ``rgb48``) carried by ``transfer``
    (:data:`PQ` or :data:`HLG`) → H×W×3 uint8 RGB for an SDR screen (the module's steps), converted in
    bands of rows so that a large frame's float copies stay small."""
    if transfer not in HDR_TRANSFERS:
        raise UsageError(f"transfer must be PQ ({PQ}) or HLG ({HLG}), got {transfer!r}")
    if rgb.dtype != np.uint16 or rgb.ndim != 3 or rgb.shape[-1] != 3:
        raise UsageError(f"an HDR frame must be H×W×3 uint16, got {rgb.dtype} {rgb.shape}")
    out = np.empty(rgb.shape, np.uint8)
    rows = max(1, BAND_PIXELS // max(1, rgb.shape[1]))
    for top in range(0, rgb.shape[0], rows):
        out[top : top + rows] = _band_to_sdr(rgb[top : top + rows], transfer, peak)
    return out


def _band_to_sdr(rgb: np.ndarray, transfer: int, peak: float) -> np.ndarray:
    light = _codes(transfer)[rgb]  # PQ: cd/m²; HLG: scene light, whose OOTF is one factor per pixel
    linear = cv2.transform(light, BT2020_TO_BT709 / REFERENCE_WHITE)
    if transfer == HLG:
        scale = _hlg_ootf_factor(cv2.transform(light, BT2020_LUMA[None]), peak)
    else:
        scale = np.ones(rgb.shape[:2], np.float32)
    brightest = cv2.reduce(linear.reshape(-1, 3), 1, cv2.REDUCE_MAX).reshape(scale.shape) * scale
    over = np.flatnonzero(brightest > KNEE)  # highlights: usually a small part of a frame
    scale.reshape(-1)[over] *= roll_off(brightest.reshape(-1)[over])
    linear *= scale[..., None]
    np.clip(linear, 0.0, 1.0, out=linear)
    return _encode()[(cv2.sqrt(linear) * 65535.0 + 0.5).astype(np.uint16)]
