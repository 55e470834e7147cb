"""int8 ONNX models with onnxruntime: static (calibrated on training images) and dynamic."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

CALIBRATION_LONG_SIDE = 512


class ImageCalibrationReader:
    """onnxruntime ``CalibrationDataReader`` over RGB images, resized as the Segmenter does."""

    def __init__(self, images: Iterable[np.ndarray], long_side: int = CALIBRATION_LONG_SIDE):
        self.batches = iter(self._prepare(rgb, long_side) for rgb in images)

    @staticmethod
    def _prepare(rgb: np.ndarray, long_side: int) -> dict[str, np.ndarray]:
        scale = long_side / max(rgb.shape[:2])
        small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        return {"image": (small.transpose(2, 0, 1)[None].astype(np.float32) / 255.0)}

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self.batches, None)


def shape_arithmetic_nodes(model_path: str | os.PathLike) -> list[str]:
    """Names of the nodes that compute shapes (e.g. timm's "same" padding amounts) rather than
    image activations: everything not fed by the input image except through ``Shape``.

    Static quantization must skip them: calibration would give the padding amounts an int8 range
    fitted to the calibration sizes, and other sizes would be padded wrongly.
    """
    import onnx

    graph = onnx.load(str(model_path), load_external_data=False).graph
    activations = {tensor.name for tensor in graph.input}
    excluded = []
    for node in graph.node:  # ONNX graphs are topologically sorted
        if node.op_type != "Shape" and activations.intersection(node.input):
            activations.update(node.output)
        else:
            excluded.append(node.name)
    return excluded


def quantize_onnx(
    fp32_path: str | os.PathLike,
    int8_path: str | os.PathLike,
    calibration_images: Iterable[np.ndarray] | None = None,
    per_channel: bool = True,
) -> Path:
    """Write an int8 model: static QDQ quantization when ``calibration_images`` are given, else
    dynamic (weights int8, activations quantized at run time).

    Example:
        >>> quantize_onnx("bgremover.onnx", "bgremover-int8.onnx", images)  # doctest: +SKIP
    """
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_dynamic, quantize_static

    # No ``quant_pre_process``: its optimiser folds the calibration images' shapes into the graph,
    # which breaks the dynamic height and width.
    int8_path = Path(int8_path)
    if calibration_images is None:
        quantize_dynamic(str(fp32_path), str(int8_path), per_channel=per_channel, weight_type=QuantType.QInt8)
    else:
        quantize_static(
            str(fp32_path),
            str(int8_path),
            ImageCalibrationReader(calibration_images),
            quant_format=QuantFormat.QDQ,
            per_channel=per_channel,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=shape_arithmetic_nodes(fp32_path),
        )
    return int8_path
