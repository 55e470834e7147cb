"""Cut the salient object out of each photo of a people-free room: the hard negatives of training.

    python tools/object_cutouts.py --backgrounds ../shared/data/backgrounds_indoor --out runs/objects \\
        [--split train] [--min-share 0.02] [--max-share 0.45] [--min-confidence 0.85]

rembg's U²-Net (a salient-object model) marks what a room photo is about: a chair, a sofa, a lamp, a bed's
headboard. Those are the things a person-segmentation network keeps when they touch a close-up person (a car
seat or office chair behind the head, a cushion held in front). Pasted beside or in front of the people of a
composite and labelled background (``TrainConfig.negatives``, ``CompositeConfig.negative_p``), they teach the
network that salient is not person.

Only the ``--split`` photos of the folder are cut (:func:`bgremover.data.compositing.background_files`:
``train`` keeps the benchmark fifth out). A photo's cut-out is the largest 8-connected piece of U²-Net's map
at 0.5, kept when it covers ``--min-share`` to ``--max-share`` of the photo, touches at most two of the
frame's edges (a wall or a floor touches three) and U²-Net is confident inside it (mean probability at least
``--min-confidence``). Writes ``OUT/images/<stem>.png`` (the piece's bounding box), ``OUT/masks/<stem>.png``
(U²-Net's probability inside the piece, 0 outside), ``OUT/manifest.csv`` (every photo, kept or why not)
and ``OUT/sheet.png`` (the cut-outs on grey) to look at.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import cv2
import numpy as np


def largest_piece(prob: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """The largest 8-connected piece of ``prob ≥ threshold`` as a boolean mask (all False if none).

    Example:
        >>> prob = np.zeros((10, 10), np.float32); prob[1:3, 1:3] = 1; prob[5:9, 5:9] = 0.9
        >>> piece = largest_piece(prob)
        >>> int(piece.sum()), bool(piece[1, 1])
        (16, False)
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats((prob >= threshold).astype(np.uint8), connectivity=8)
    if count <= 1:
        return np.zeros(prob.shape, bool)
    return labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))


def judge(prob: np.ndarray, piece: np.ndarray, min_share: float, max_share: float, min_confidence: float) -> str:
    """``"kept"`` or why the piece is not an object to paste."""
    share = piece.mean()
    if share < min_share:
        return f"too small ({share:.3f})"
    if share > max_share:
        return f"too large ({share:.3f})"
    edges = sum(bool(edge.any()) for edge in (piece[0], piece[-1], piece[:, 0], piece[:, -1]))
    if edges > 2:
        return f"touches {edges} edges"
    confidence = float(prob[piece].mean())
    if confidence < min_confidence:
        return f"unsure ({confidence:.2f})"
    return "kept"


def cut(rgb: np.ndarray, prob: np.ndarray, piece: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The piece's bounding box of the photo and its soft mask (uint8, U²-Net's probability inside)."""
    ys, xs = np.nonzero(piece)
    box = slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1)
    mask = np.where(piece, prob, 0.0)[box]
    return rgb[box], np.round(mask * 255).astype(np.uint8)


def contact_sheet(cutouts: list[tuple[np.ndarray, np.ndarray]], cell: int = 128, columns: int = 10) -> np.ndarray:
    """The cut-outs on grey, each fitted into a ``cell``² square."""
    rows = max(1, -(-len(cutouts) // columns))
    sheet = np.full((rows * cell, columns * cell, 3), 128, np.uint8)
    for i, (rgb, mask) in enumerate(cutouts):
        scale = cell / max(rgb.shape[:2])
        size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
        small, alpha = cv2.resize(rgb, size), cv2.resize(mask, size)[..., None] / 255.0
        y, x = (i // columns) * cell, (i % columns) * cell
        region = sheet[y : y + size[1], x : x + size[0]]
        region[:] = (alpha * small + (1 - alpha) * region).astype(np.uint8)
    return sheet


def main(argv: list[str] | None = None) -> None:
    from bgremover.data.compositing import background_files
    from bgremover.io import read_image
    from bgremover.peers import load_peer

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backgrounds", required=True, help="a folder of photos without people")
    parser.add_argument("--out", required=True)
    parser.add_argument("--split", default="train")
    parser.add_argument("--min-share", type=float, default=0.02)
    parser.add_argument("--max-share", type=float, default=0.45)
    parser.add_argument("--min-confidence", type=float, default=0.85)
    parser.add_argument("--u2net", default=None, help="u2net.onnx (default: the checked download or the weights dir)")
    args = parser.parse_args(argv)

    out = Path(args.out)
    for sub in ("images", "masks"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    u2net = load_peer("u2net", args.u2net)
    rows, cutouts = [], []
    for path in background_files(args.backgrounds, args.split):
        rgb = read_image(path)
        prob = u2net(rgb)
        piece = largest_piece(prob)
        verdict = judge(prob, piece, args.min_share, args.max_share, args.min_confidence)
        rows.append({"photo": path.name, "verdict": verdict})
        if verdict != "kept":
            continue
        image, mask = cut(rgb, prob, piece)
        cv2.imwrite(str(out / "images" / f"{path.stem}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(out / "masks" / f"{path.stem}.png"), mask)
        cutouts.append((image, mask))
    with open(out / "manifest.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["photo", "verdict"])
        writer.writeheader()
        writer.writerows(rows)
    cv2.imwrite(str(out / "sheet.png"), cv2.cvtColor(contact_sheet(cutouts), cv2.COLOR_RGB2BGR))
    print(f"{len(cutouts)} of {len(rows)} photos gave an object: {out}")


if __name__ == "__main__":
    main()
