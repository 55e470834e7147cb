"""Pretrained peer models: a generic ONNX adapter (the U²-Netp preset), rembg's U²-Net, MediaPipe,
and torchvision's COCO/VOC models where their weights exist."""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from bgremover import settings
from bgremover.losses.perceptual import IMAGENET_MEAN, IMAGENET_STD
from bgremover.weights import local_weight_file
from bgremover_leaderboard.methods.base import Method, MethodUnavailable


def peer_file(file_name: str, url: str | None) -> Path:
    """The peer's file: ``$BGREMOVER_WEIGHTS_DIR/peers/<file>``, the cache, or a download from ``url``."""
    local = local_weight_file("peers", file_name)
    if local is not None:
        return local
    cached = settings.cache_dir() / file_name
    if cached.is_file():
        return cached
    if url is None:
        raise MethodUnavailable(f"weights file {file_name} not found and it has no public download")
    try:
        settings.cache_dir().mkdir(parents=True, exist_ok=True)
        urllib.request.urlretrieve(url, cached.with_suffix(".part"))
        cached.with_suffix(".part").rename(cached)
    except OSError as err:
        raise MethodUnavailable(f"weights {file_name} not in the weights dir and download failed ({err})") from err
    return cached


@dataclass(frozen=True)
class OnnxPeerSpec:
    """Everything the generic adapter needs to run a peer's ONNX file, as data."""

    name: str
    file_name: str
    url: str | None
    input_size: tuple[int, int] | None  # (H, W) fixed size, or None for long side ``long_side``
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    divide_by_max: bool = False  # rembg's U²-Net: image / image.max() before mean/std
    long_side: int = 512
    stride: int = 32
    output_index: int = 0
    postprocess: str = "minmax"  # "minmax" | "sigmoid" | "none"
    resolution: str = ""


ONNX_PRESETS = {
    "u2netp": OnnxPeerSpec(
        "u2netp",
        "u2netp.onnx",
        "https://github.com/danielgatis/rembg/releases/download/v0.0.0/u2netp.onnx",
        (320, 320),
        (0.485, 0.456, 0.406),
        (0.229, 0.224, 0.225),
        divide_by_max=True,
        resolution="320×320",
    ),
}


class OnnxPeer(Method):
    """Runs an :class:`OnnxPeerSpec` with onnxruntime (2 intra-op threads)."""

    kind = "peer"

    def __init__(self, spec: OnnxPeerSpec, threads: int = 2):
        self.spec, self.threads = spec, threads
        self.name, self.resolution = spec.name, spec.resolution
        self.session = None

    def load(self) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        path = peer_file(self.spec.file_name, self.spec.url)
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def _input(self, rgb: np.ndarray) -> np.ndarray:
        spec = self.spec
        if spec.input_size is not None:
            height, width = spec.input_size
        else:
            scale = spec.long_side / max(rgb.shape[:2])
            height = max(spec.stride, round(rgb.shape[0] * scale / spec.stride) * spec.stride)
            width = max(spec.stride, round(rgb.shape[1] * scale / spec.stride) * spec.stride)
        image = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_LANCZOS4).astype(np.float32)
        image = image / max(float(image.max()), 1e-6) if spec.divide_by_max else image / 255.0
        image = (image - np.asarray(spec.mean, np.float32)) / np.asarray(spec.std, np.float32)
        return image.transpose(2, 0, 1)[None].astype(np.float32)

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        if self.session is None:
            self.load()
        name = self.session.get_inputs()[0].name
        out = self.session.run(None, {name: self._input(rgb)})[self.spec.output_index][0, 0].astype(np.float32)
        if self.spec.postprocess == "minmax":
            out = (out - out.min()) / max(float(out.max() - out.min()), 1e-8)
        elif self.spec.postprocess == "sigmoid":
            out = 1 / (1 + np.exp(-out))
        alpha = cv2.resize(out, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)
        return np.clip(alpha, 0, 1)


class MediaPipeSelfie(Method):
    """MediaPipe Selfie Segmentation (Tasks API, TFLite), 256×256 input."""

    name = "mediapipe_selfie"
    resolution = "256×256"
    kind = "peer"

    def __init__(self):
        self.segmenter = None

    def load(self) -> None:
        try:
            import mediapipe as mp
            from mediapipe.tasks.python import BaseOptions, vision
        except ImportError as err:
            raise MethodUnavailable(
                "package mediapipe is not installed (pip install -r requirements-leaderboard.txt)"
            ) from err
        from bgremover.errors import WeightsUnavailableError
        from bgremover.peers import PEERS

        try:
            path = PEERS["selfie"].weights()  # the fast-plus tier's file: pinned and checked by sha256
        except WeightsUnavailableError as err:
            raise MethodUnavailable(str(err)) from err
        options = vision.ImageSegmenterOptions(
            base_options=BaseOptions(model_asset_path=str(path)), output_confidence_masks=True
        )
        self.close()
        self.segmenter = vision.ImageSegmenter.create_from_options(options)
        self.mp = mp

    def close(self) -> None:
        # MediaPipe's worker threads stop before atexit hooks run, so a segmenter still open when
        # the interpreter exits prints a TypeError traceback from its __del__
        if self.segmenter is not None:
            self.segmenter.close()
            self.segmenter = None

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        if self.segmenter is None:
            self.load()
        image = self.mp.Image(image_format=self.mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        confidence = self.segmenter.segment(image).confidence_masks[0].numpy_view()
        confidence = confidence[..., 0] if confidence.ndim == 3 else confidence
        return np.clip(cv2.resize(confidence.astype(np.float32), (rgb.shape[1], rgb.shape[0])), 0, 1)


class TorchvisionPerson(Method):
    """torchvision DeepLabV3 (COCO/VOC classes, person = 15) or Mask R-CNN (COCO person = 1)."""

    kind = "peer"

    def __init__(self, architecture: str):
        self.architecture = architecture
        self.name = {"deeplabv3": "deeplabv3_resnet50_cocovoc", "maskrcnn": "maskrcnn_resnet50_coco"}[architecture]
        self.resolution = "long side 520" if architecture == "deeplabv3" else "min side 800 (torchvision default)"
        self.model = None

    def load(self) -> None:
        import torchvision.models.detection as detection
        import torchvision.models.segmentation as segmentation

        try:
            if self.architecture == "deeplabv3":
                weights = segmentation.DeepLabV3_ResNet50_Weights.COCO_WITH_VOC_LABELS_V1
                self.model = segmentation.deeplabv3_resnet50(weights=weights)
            else:
                weights = detection.MaskRCNN_ResNet50_FPN_Weights.COCO_V1
                self.model = detection.maskrcnn_resnet50_fpn(weights=weights)
        except Exception as err:  # no network and nothing in the torch hub cache
            raise MethodUnavailable(
                f"torchvision weights {weights.name} cannot be downloaded here ({type(err).__name__})"
            ) from err
        self.model.eval()

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        import torch

        if self.model is None:
            self.load()
        image = torch.from_numpy(rgb).permute(2, 0, 1).float() / 255.0
        with torch.inference_mode():
            if self.architecture == "deeplabv3":
                small = cv2.resize(rgb, None, fx=520 / max(rgb.shape[:2]), fy=520 / max(rgb.shape[:2]))
                x = torch.from_numpy(small).permute(2, 0, 1).float()[None] / 255.0
                mean, std = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
                x = (x - mean) / std
                prob = self.model(x)["out"].softmax(1)[0, 15].numpy()
                return np.clip(cv2.resize(prob, (rgb.shape[1], rgb.shape[0])), 0, 1)
            out = self.model([image])[0]
            keep = (out["labels"] == 1) & (out["scores"] > 0.5)
            if not keep.any():
                return np.zeros(rgb.shape[:2], np.float32)
            return out["masks"][keep, 0].max(0).values.numpy().astype(np.float32)


class U2NetFull(Method):
    """rembg's U²-Net (full, 176 MB, Apache-2.0) as rembg runs it, through :class:`bgremover.peers.U2Net`
    (the ``best`` tier's partner): weights from ``$BGREMOVER_WEIGHTS_DIR/peers/``, the cache, or rembg's
    release, checked by sha256."""

    kind = "peer"
    name = "u2net"
    resolution = "320×320"

    def __init__(self, threads: int = 2):
        self.threads, self.network = threads, None

    def load(self) -> None:
        from bgremover.errors import WeightsUnavailableError
        from bgremover.peers import U2Net

        try:
            self.network = U2Net(threads=self.threads, backend="onnx")  # rembg runs it on ONNX Runtime
        except WeightsUnavailableError as err:
            raise MethodUnavailable(str(err)) from err

    def close(self) -> None:
        self.network = None

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        if self.network is None:
            self.load()
        return self.network(rgb)
