"""Choose the ``best`` tier's fusion weight on the validation photos (never a benchmark set).

    python tools/fusion_search.py [--config configs/default-finetune.yaml] [--weights 0.3 0.4 0.5 0.6 0.7]
    python tools/fusion_search.py --base fast --no-flip --peer selfie --selfie selfie_segmentation.tflite

Runs the base model (flip TTA unless ``--no-flip``, every person) and the peer (rembg's U²-Net, or
MediaPipe Selfie through ``ai-edge-litert``) once per validation photo, then scores
``w × base + (1 − w) × U²-Net`` (main subject, IoU at 0.5) for each ``w``, per part of the validation
set, with precision and recall, and the paired difference from the base alone. Write the chosen
weight into ``bgremover/pretrained/bgremover-best/config.json``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


class SelfieTFLite:
    """MediaPipe Selfie (1×256×256×3 RGB in [0, 1] → person probability) through ``ai-edge-litert``."""

    def __init__(self, path: str):
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=path, num_threads=2)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]["index"]
        self.output = self.interpreter.get_output_details()[0]["index"]

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        import cv2

        x = cv2.resize(rgb, (256, 256), interpolation=cv2.INTER_AREA).astype(np.float32)[None] / 255.0
        self.interpreter.set_tensor(self.input, x)
        self.interpreter.invoke()
        prob = self.interpreter.get_tensor(self.output)[0, ..., 0]
        return cv2.resize(prob, rgb.shape[1::-1], interpolation=cv2.INTER_LINEAR).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", help="a recipe or run config whose validation set to use")
    parser.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 1.0])
    parser.add_argument("--real-closeups", action="store_true", help="add the real close-ups part")
    parser.add_argument("--base", default="default", help="the model fused (default: the default tier)")
    parser.add_argument("--no-flip", action="store_true", help="the base without flip TTA")
    parser.add_argument("--peer", choices=("u2net", "selfie"), default="u2net")
    parser.add_argument("--selfie", help="MediaPipe Selfie's .tflite (for --peer selfie)")
    args = parser.parse_args()
    from bgremover import load_model
    from bgremover.constants import DEFAULT_RECIPE
    from bgremover.fusion import U2Net
    from bgremover.metrics import iou
    from bgremover.metrics.paired import compare_scores
    from bgremover.subjects import select_subjects
    from bgremover.train.validate import validation_samples

    samples, labels = validation_samples(args.config or DEFAULT_RECIPE, args.real_closeups)
    base = load_model(args.base)
    peer = U2Net() if args.peer == "u2net" else SelfieTFLite(args.selfie)
    maps = []
    for i, (image, mask) in enumerate(samples):
        maps.append((base.predict(image, tta=not args.no_flip, subject="all"), peer(np.asarray(image)), mask))
        if i % 40 == 0:
            print(f"{i}/{len(samples)}", file=sys.stderr, flush=True)
    parts = [*dict.fromkeys(labels), "all"]
    columns = {p: [i for i, label in enumerate(labels) if label == p or p == "all"] for p in parts}
    print("| base weight | " + " | ".join(parts) + " | precision | recall | vs base (SE) |")
    print("|---" * (len(parts) + 4) + "|")
    scores = {}
    for weight in args.weights:
        ious, precision, recall = [], [], []
        for base_map, peer_map, mask in maps:
            pred = select_subjects((weight * base_map + (1 - weight) * peer_map).astype(np.float32), "main") >= 0.5
            truth = mask >= 0.5
            ious.append(iou(pred.astype(np.float32), mask))
            precision.append((pred & truth).sum() / max(pred.sum(), 1))
            recall.append((pred & truth).sum() / max(truth.sum(), 1))
        scores[weight] = ious
        cells = [f"{np.mean([ious[i] for i in columns[p]]):.4f}" for p in parts]
        paired = compare_scores(ious, scores[1.0]) if 1.0 in scores else None
        versus = f"{paired['mean_difference']:+.4f} ({paired['standard_error']:.4f})" if paired else "—"
        print(
            f"| {weight:g} | " + " | ".join(cells) + f" | {np.mean(precision):.4f} | {np.mean(recall):.4f} | {versus} |"
        )


if __name__ == "__main__":
    main()
