"""Label real frames of people with teachers: the recipe that rebuilds the pseudo-labelled set.

    python tools/pseudo_label.py --mirrors DIR --blazepose pose_landmark_heavy.tflite --out runs/pseudo \\
        [--manifest configs/unlabelled_people.yaml] [--limit N] [--data-dir ../shared/data]

``--mirrors DIR`` holds each repository of the manifest as a git dir ``DIR/<owner>+<name>/repo`` (or a
clone at ``DIR/<owner>+<name>``); files are read at the manifest's commit, so anyone rebuilds the same
frames. Teachers: bgremover's default with flip TTA (every person), rembg's U²-Net (full) and BlazePose GHUM
heavy's segmentation (npm ``@mediapipe/pose@0.5.1675469404``, run with ``ai-edge-litert``). Labels:
:func:`bgremover.data.pseudo_labels.fuse_teachers` (majority vote, ties and unsure pixels ignored, BlazePose's
"no person" vetoing a majority for person, small pieces dropped; a teacher that matches no other on a frame
loses its vote there, but a held-out frame where the default — the one teacher that marks every person whole —
matches neither other is rejected: U²-Net and BlazePose then agree on a shared mistake, such as only the
raised hand of a close-up, which would score a model against it; ``--anchor all`` rejects such training frames
too, ``off`` none), then the hands that MediaPipe Hands finds (:class:`bgremover.hands.HandLandmarker`, drawn
from their landmarks) settle what the vote left out (:func:`bgremover.data.pseudo_labels.repair_hands`;
``--no-hands`` skips it). Frames are rejected when the voting teachers disagree as a whole (IoU below
``--min-agreement``), when nobody is in them, when too much of the person is uncertain, when they nearly
repeat an earlier frame of the clip, or when they resemble a benchmark photo (average hash).

Writes ``OUT/teachers/*.npz`` (each frame's teacher maps: a rerun with a new rule fuses them again without
running the teachers), ``OUT/{train,val}/{images,masks,uncertainty}/`` (masks: 255 person, 0 background, 128 ignored;
uncertainty: the teachers' spread), ``OUT/manifest.csv`` (every frame, kept or why not) and
``OUT/sheets/*.png`` contact sheets (frame, label over it, uncertainty) to review the labels, and
``OUT/sheets/hands-*.png`` (frame with the hands drawn, label over it, the vote before the repair) for the
frames where the repair changed the label.
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import io
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import yaml

from bgremover.imageops import alpha_to_uint8, letterbox

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bgremover.data.pseudo_labels import (
    average_hash,
    encode_label,
    fuse_teachers,
    repair_hands,
    teacher_agreement,
    thumbnail_hash,
    voting_teachers,
)

TEACHERS = ("default", "u2net", "blazepose")
LONG_SIDE = 640  # frames are stored at this long side (training crops far smaller)
BENCHMARK_SETS = ("ccp_person", "davis_person", "web_people", "cihp_sample")


class BlazePose:
    """BlazePose GHUM heavy's segmentation on the whole frame, letterboxed to 256²."""

    def __init__(self, path: str):
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=path, num_threads=2)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]["index"]
        outputs = {o["name"]: o["index"] for o in self.interpreter.get_output_details()}
        self.segmentation = outputs["Identity_2"]

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        height, width = rgb.shape[:2]
        canvas, top, left = letterbox(rgb)
        side = canvas.shape[0]
        x = cv2.resize(canvas, (256, 256), interpolation=cv2.INTER_AREA).astype(np.float32)[None] / 255.0
        self.interpreter.set_tensor(self.input, x)
        self.interpreter.invoke()
        logits = self.interpreter.get_tensor(self.segmentation)[0, ..., 0]
        prob = cv2.resize(1.0 / (1.0 + np.exp(-logits)), (side, side), interpolation=cv2.INTER_LINEAR)
        return prob[top : top + height, left : left + width].astype(np.float32)


def git_dir(mirrors: Path, repo: str) -> Path:
    base = mirrors / repo.replace("/", "+")
    return base / "repo" if (base / "repo").is_dir() else base


def repo_files(gitdir: Path, commit: str) -> list[str]:
    out = subprocess.run(
        ["git", f"--git-dir={gitdir}", "ls-tree", "-r", "--name-only", commit], capture_output=True, check=True
    )
    return out.stdout.decode().splitlines()


def repo_blob(gitdir: Path, commit: str, path: str) -> bytes:
    return subprocess.run(
        ["git", f"--git-dir={gitdir}", "show", f"{commit}:{path}"], capture_output=True, check=True
    ).stdout


def shrink(rgb: np.ndarray) -> np.ndarray:
    scale = LONG_SIDE / max(rgb.shape[:2])
    if scale >= 1:
        return rgb
    return cv2.resize(rgb, (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)), interpolation=cv2.INTER_AREA)


def frames_of(data: bytes, path: str, every: int):
    """(index, RGB) of an image file, or of every ``every``-th frame of a clip."""
    if path.lower().endswith((".jpg", ".jpeg", ".png")):
        rgb = cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        yield 0, rgb
        return
    import av

    with av.open(io.BytesIO(data)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index % every == 0:
                yield index, frame.to_ndarray(format="rgb24")


def benchmark_hashes(data_dir: Path) -> list[int]:
    from bgremover.io import read_image

    hashes = []
    for name in BENCHMARK_SETS:
        folder = data_dir / name / "images"
        if folder.is_dir():
            hashes += [average_hash(read_image(p)) for p in sorted(folder.iterdir())]
    return hashes


def overlay(rgb: np.ndarray, label: np.ndarray) -> np.ndarray:
    out = rgb.astype(np.float32) * 0.45
    out[label == 1] = out[label == 1] + np.array([0, 140, 0])
    out[np.isnan(label)] = [200, 40, 200]
    return np.clip(out, 0, 255).astype(np.uint8)


def write_sheet(rows: list[np.ndarray], path: Path) -> None:
    height = 180
    tiles = [cv2.resize(row, (round(row.shape[1] * height / row.shape[0]), height)) for row in rows]
    width = max(t.shape[1] for t in tiles)
    sheet = np.full((height * len(tiles), width, 3), 255, np.uint8)
    for i, tile in enumerate(tiles):
        sheet[i * height : (i + 1) * height, : tile.shape[1]] = tile
    cv2.imwrite(str(path), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))


class Manifest(list):
    """Rows written to the CSV as they come (a long run can be watched)."""

    FIELDS = (
        "stem",
        "source",
        "frame",
        "clip",
        "split",
        "kept",
        "reason",
        "agreement",
        "voters",
        "person",
        "ignored",
        "hands",
        "repaired",
    )

    def __init__(self, path: Path):
        super().__init__()
        self.handle = open(path, "w", newline="")  # noqa: SIM115 - open for the run
        self.writer = csv.DictWriter(self.handle, fieldnames=self.FIELDS)
        self.writer.writeheader()

    def append(self, row: dict) -> None:
        super().append(row)
        self.writer.writerow(row)
        self.handle.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--manifest", default=str(Path(__file__).resolve().parents[1] / "configs/unlabelled_people.yaml")
    )
    parser.add_argument("--mirrors", required=True, help="folder of git dirs: <owner>+<name>/repo")
    parser.add_argument("--blazepose", required=True, help="pose_landmark_heavy.tflite")
    parser.add_argument("--out", required=True)
    parser.add_argument("--data-dir", default="../shared/data", help="benchmark sets to keep the frames apart from")
    parser.add_argument("--limit", type=int, help="at most this many frames per source (a quick look)")
    parser.add_argument("--min-agreement", type=float, default=0.5, help="smallest pairwise IoU of the voters kept")
    parser.add_argument("--max-ignored", type=float, default=0.4, help="largest ignored share of the person kept")
    parser.add_argument("--no-hands", action="store_true", help="no hand repair from MediaPipe Hands landmarks")
    parser.add_argument(
        "--anchor",
        choices=("val", "all", "off"),
        default="val",
        help="where a frame whose default matches neither other teacher is rejected: held-out frames only "
        "(training frames are labelled by the other two, which measured better), all frames, or none",
    )
    parser.add_argument(
        "--refresh",
        nargs="*",
        default=[],
        choices=TEACHERS,
        help="run these teachers again over cached maps (e.g. default, after a new default is shipped)",
    )
    args = parser.parse_args()

    from bgremover import load_model
    from bgremover.hands import HandLandmarker, hand_silhouette
    from bgremover.peers import U2Net

    sources = yaml.safe_load(Path(args.manifest).read_text())["sources"]
    out = Path(args.out)
    for split in ("train", "val"):
        for kind in ("images", "masks", "uncertainty"):
            (out / split / kind).mkdir(parents=True, exist_ok=True)
    (out / "sheets").mkdir(exist_ok=True)
    (out / "teachers").mkdir(exist_ok=True)
    ours = load_model("default")
    models = (
        lambda rgb: ours.predict(rgb, tta=True, subject="all"),
        U2Net(threads=2, backend="onnx"),
        BlazePose(args.blazepose),
    )
    hand_landmarker = None if args.no_hands else HandLandmarker(threads=2)
    forbidden = benchmark_hashes(Path(args.data_dir))
    rows, sheet_rows, hand_rows = Manifest(out / "manifest.csv"), {}, {}
    for source in sources:
        gitdir = git_dir(Path(args.mirrors), source["repo"])
        files = repo_files(gitdir, source["commit"])
        wanted = [f for f in files if any(fnmatch.fnmatchcase(f, p) for p in source["paths"])]
        done = 0
        for path in wanted:
            split = "val" if any(fnmatch.fnmatchcase(path, p) for p in source.get("val", [])) else "train"
            clip = Path(path).parent.name if source.get("clip_from") == "parent" else Path(path).stem
            kept, previous = 0, None
            data = repo_blob(gitdir, source["commit"], path)
            for index, rgb in frames_of(data, path, source.get("every", 1)):
                if (args.limit and done >= args.limit) or kept >= source.get("cap", 10**9):
                    break
                stem = f"{source['name']}-{clip}-{Path(path).stem}-{index:05d}".replace(" ", "_")
                rgb = shrink(rgb)
                row = dict(stem=stem, source=f"{source['repo']}@{source['commit']}:{path}", frame=index, clip=clip)
                row["split"] = split
                thumb = thumbnail_hash(rgb)
                if previous is not None and np.abs(thumb - previous).mean() < 4.0:
                    rows.append(row | dict(kept=0, reason="near-duplicate of the clip's previous kept frame"))
                    continue
                code = average_hash(rgb)
                if any(bin(code ^ h).count("1") <= 4 for h in forbidden):
                    rows.append(row | dict(kept=0, reason="resembles a benchmark photo"))
                    continue
                cached = out / "teachers" / f"{stem}.npz"
                if cached.is_file():  # labelled before: the teachers' maps, to fuse again under a new rule
                    teachers = list(np.load(cached)["maps"].astype(np.float32) / 255.0)
                    fresh = [TEACHERS.index(name) for name in args.refresh]
                else:
                    teachers, fresh = [None] * len(TEACHERS), range(len(TEACHERS))
                for i in fresh:
                    teachers[i] = models[i](rgb)
                if fresh:
                    np.savez_compressed(cached, maps=np.stack([alpha_to_uint8(t) for t in teachers]))
                anchored = args.anchor == "all" or (args.anchor == "val" and split == "val")
                voters = voting_teachers(teachers, anchor=TEACHERS.index("default") if anchored else None)
                if not voters:
                    reason = "bgremover's default (every person) matches neither other teacher"
                    rows.append(row | dict(kept=0, reason=reason))
                    continue
                agreement = teacher_agreement([teachers[i] for i in voters])
                pose = voters.index(2) if 2 in voters else None  # BlazePose segments people only
                label = fuse_teachers([teachers[i] for i in voters], person_only=pose)
                hands = hand_landmarker(rgb) if hand_landmarker else []
                if hands:
                    vote = label
                    drawn = hand_silhouette(rgb.shape[:2], hands)
                    label = repair_hands(vote, [teachers[i] for i in voters], drawn)
                    changed = ~((label == vote) | (np.isnan(label) & np.isnan(vote)))
                    row |= dict(hands=len(hands), repaired=round(float(changed.mean()), 5))
                person = label == 1
                ignored = np.isnan(label)
                ignored_share = float(ignored.sum() / max((person | ignored).sum(), 1))
                row |= dict(agreement=round(agreement, 4), person=round(float(person.mean()), 4))
                row |= dict(voters="+".join(TEACHERS[i] for i in voters))
                row |= dict(ignored=round(ignored_share, 4))
                reason = None
                if person.mean() < 0.02:
                    reason = "no person found by the teachers"
                elif agreement < args.min_agreement:
                    reason = f"teachers disagree (smallest pairwise IoU {agreement:.2f})"
                elif ignored_share > args.max_ignored:
                    reason = f"{ignored_share:.0%} of the person uncertain"
                if reason:
                    rows.append(row | dict(kept=0, reason=reason))
                    continue
                spread = np.max(teachers, axis=0) - np.min(teachers, axis=0)
                cv2.imwrite(str(out / split / "images" / f"{stem}.jpg"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
                cv2.imwrite(str(out / split / "masks" / f"{stem}.png"), encode_label(label))
                cv2.imwrite(str(out / split / "uncertainty" / f"{stem}.png"), (spread * 255).astype(np.uint8))
                rows.append(row | dict(kept=1, reason=""))
                kept, done, previous = kept + 1, done + 1, thumb
                if hands and row["repaired"] > 0 and len(hand_rows.setdefault(source["name"], [])) < 12:
                    marked = rgb.copy()
                    marked[drawn] = (0.5 * marked[drawn] + [0, 0, 127]).astype(np.uint8)
                    hand_rows[source["name"]].append(
                        np.concatenate([marked, overlay(rgb, label), overlay(rgb, vote)], 1)
                    )
                sheet = sheet_rows.setdefault(source["name"], [])
                if len(sheet) < 12 and kept % 3 == 1:
                    grey = cv2.cvtColor((spread * 255).astype(np.uint8), cv2.COLOR_GRAY2RGB)
                    sheet.append(np.concatenate([rgb, overlay(rgb, label), grey], axis=1))
            print(f"{source['name']:12s} {path}: {kept} kept ({split})", flush=True)
    for name, sheet in sheet_rows.items():
        write_sheet(sheet, out / "sheets" / f"{name}.png")
    for name, sheet in hand_rows.items():
        write_sheet(sheet, out / "sheets" / f"hands-{name}.png")
    kept = [r for r in rows if r["kept"]]
    print(f"{len(kept)} of {len(rows)} frames kept ({sum(r['split'] == 'val' for r in kept)} for validation)")


if __name__ == "__main__":
    main()
