"""The ``bgremover`` command line: train, sanity tools, cross-validation, cut, export, push."""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from bgremover.errors import BgremoverError, UsageError

COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {}


def command(name: str, help_text: str, configure: Callable[[argparse.ArgumentParser], None]):
    """Register ``run(args) -> exit code`` as subcommand ``name``."""

    def register(run: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = (help_text, configure, run)
        return run

    return register


def _train_options(parser: argparse.ArgumentParser) -> None:
    from bgremover.train.config import TrainConfig

    TrainConfig.add_arguments(parser)


@command("train", "train a model (all TrainConfig fields are options)", _train_options)
def _train(args: argparse.Namespace) -> int:
    from bgremover.train import TrainConfig, Trainer

    trainer = Trainer(TrainConfig.from_args(args))
    values = trainer.fit()
    if trainer.dist.is_main:
        print({k: round(v, 4) for k, v in values.items()})
    return 0


def _train_options_with(**extra: tuple[type, object]) -> Callable[[argparse.ArgumentParser], None]:
    """The TrainConfig options plus ``--name`` options given as ``name=(type, default)``."""

    def configure(parser: argparse.ArgumentParser) -> None:
        _train_options(parser)
        for name, (kind, default) in extra.items():
            parser.add_argument(
                "--" + name.replace("_", "-"), dest=name, type=kind, default=default, help=f"(default: {default})"
            )

    return configure


@command(
    "overfit",
    "sanity check: drive the loss to ~0 on one small batch",
    _train_options_with(images=(int, 8), steps=(int, 300), target_iou=(float, 0.95)),
)
def _overfit(args: argparse.Namespace) -> int:
    from bgremover.train import TrainConfig
    from bgremover.train.sanity import overfit

    report = overfit(TrainConfig.from_args(args), args.images, args.steps, args.target_iou)
    for step in range(0, len(report.losses), max(1, len(report.losses) // 20)):
        print(f"step {step + 1:4d}  loss {report.losses[step]:.4f}")
    print(f"final loss {report.losses[-1]:.4f}, batch IoU {report.iou:.4f}; plot: {report.plot}")
    if not report.passed:
        print(f"FAILED: IoU {report.iou:.4f} <= {args.target_iou} after {len(report.losses)} steps", file=sys.stderr)
        return 1
    return 0


@command(
    "lr-range",
    "sanity check: exponential LR sweep, suggests a learning rate",
    _train_options_with(start=(float, 1e-7), end=(float, 1.0), steps=(int, 200)),
)
def _lr_range(args: argparse.Namespace) -> int:
    from bgremover.train import TrainConfig
    from bgremover.train.sanity import lr_range

    report = lr_range(TrainConfig.from_args(args), args.start, args.end, args.steps)
    print(f"suggested LR {report.suggested_lr:.2e} ({len(report.lrs)} steps); plot: {report.plot}")
    return 0


@command(
    "grad-flow",
    "sanity check: per-layer gradient norms, flags dead or exploding layers",
    _train_options_with(steps=(int, 3)),
)
def _grad_flow(args: argparse.Namespace) -> int:
    from bgremover.train import TrainConfig
    from bgremover.train.sanity import grad_flow

    report = grad_flow(TrainConfig.from_args(args), args.steps)
    for name, reason in report.flagged.items():
        print(f"FLAG {reason:9s} {name}")
    print(f"{len(report.norms)} parameters, {len(report.flagged)} flagged; plot: {report.plot}")
    return 1 if report.flagged else 0


def _cv_options(parser: argparse.ArgumentParser) -> None:
    _train_options_with(folds=(int, 5))(parser)
    parser.add_argument(
        "--fold", type=int, nargs="+", default=None, help="train only these folds (0-based), e.g. one per process"
    )


@command(
    "cv",
    "K-fold cross-validation: mean ± std of every validation metric",
    _cv_options,
)
def _cv(args: argparse.Namespace) -> int:
    from bgremover.train import TrainConfig
    from bgremover.train.cv import cross_validate, format_table

    summary = cross_validate(TrainConfig.from_args(args), args.folds, only=args.fold)
    print(format_table(summary) if summary else f"fold(s) {args.fold} done; the summary waits for the others")
    return 0


def _cut_options(parser: argparse.ArgumentParser) -> None:
    from bgremover.constants import BACKENDS, DEFAULT_SUBJECT, PHOTO_FORMATS, PRECISIONS, SUBJECTS, UPSAMPLERS
    from bgremover.pretrained import list_pretrained

    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image or video files, or folders of them")
    parser.add_argument(
        "-o",
        "--output",
        default="cutouts",
        help="output folder (default: cutouts); for one image a file (.png, .webp, .jpg), for one video a file "
        "(.webm, .mov, .mp4, .zip)",
    )
    parser.add_argument(
        "--mask", action="store_true", help="write the alpha mask instead of the cut-out (a video: its matte)"
    )
    parser.add_argument("--tta", action="store_true", help="flip test-time augmentation")
    parser.add_argument("--multiscale", action="store_true", help="average scales 0.75, 1.0, 1.25")
    parser.add_argument("--refine", action="store_true", help="guided-filter edge refinement")
    parser.add_argument(
        "--upsample",
        choices=UPSAMPLERS,
        default=None,
        help="how the network's map reaches the photo's size: bilinear, or guided along the photo's edges "
        "(default: the model's)",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        metavar="T",
        help="images: a hard mask, opaque where alpha >= T (0 < T < 1; 0: soft alpha); default: soft alpha",
    )
    parser.add_argument(
        "--foreground-estimation",
        action="store_true",
        help="images: take the background's colour out of the person's edges (hair); slower",
    )
    parser.add_argument(
        "--subject",
        choices=SUBJECTS,
        default=DEFAULT_SUBJECT,
        help=f"all: every person; main: only the main subject(s) (default: {DEFAULT_SUBJECT})",
    )
    parser.add_argument("--bg", default="transparent", help="transparent | blur | COLOR (#rrggbb, name) | IMAGE")
    parser.add_argument(
        "--model",
        default=None,
        help=f"{' | '.join(list_pretrained())} (bgremover models) | model folder | Hub repo id; default: default",
    )
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default=None,
        help="torch | onnx | openvino | auto (the faster of the two on this CPU); default: the tier's",
    )
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=None,
        help="default (bf16 where the CPU has it) | f32 | int8 (the model's int8 OpenVINO file); default: the tier's",
    )
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: auto)")
    parser.add_argument(
        "--overwrite", action="store_true", help="replace existing outputs (never an input photo or video)"
    )
    parser.add_argument(
        "--photo-format",
        choices=PHOTO_FORMATS,
        default=None,
        help="the cut-outs written into an output folder: png (default), webp (lossless, with alpha) or jpg "
        "(95 %%, needs --bg or --mask)",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="folders of photos: cut what is there, then each photo that lands in them, until Ctrl-C",
    )
    video = parser.add_argument_group("video")
    video.add_argument(
        "--format",
        choices=["webm", "mov", "mp4", "zip"],
        default=None,
        help="video output format in an output folder (default: webm when transparent, else mp4)",
    )
    video.add_argument("--no-stabilize", action="store_true", help="no temporal smoothing of alpha")
    video.add_argument(
        "--batch-size", type=int, default=4, help="frames per network call; --engine ray: photos per actor call"
    )
    cluster = parser.add_argument_group("beyond one machine (pip install 'bgremover[ray]')")
    cluster.add_argument(
        "--engine",
        choices=["local", "ray"],
        default="local",
        help="ray: cut photos with Ray Data on a cluster (resumable; failures in OUTPUT/_failures.csv; an OUTPUT "
        "ending in .parquet gets a Parquet dataset of masks); default: this process",
    )
    cluster.add_argument(
        "--address", default=None, help="--engine ray: the cluster (HOST:PORT or auto); default: Ray on this machine"
    )
    cluster.add_argument("--actors", type=int, default=None, help="--engine ray: most model copies at once")
    cluster.add_argument(
        "--gpus-per-actor", type=float, default=None, help="--engine ray: default 1 where the cluster has GPUs"
    )


def _models_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pattern", nargs="?", default="*", help="shell-style filter on the names (default: all)")


@command("models", "list the shipped models --model takes, and how each runs", _models_options)
def _models(args: argparse.Namespace) -> int:
    from bgremover.hub import run_config
    from bgremover.prefetch import pinned_files
    from bgremover.pretrained import PRETRAINED, list_pretrained

    for name in list_pretrained(args.pattern):
        model = PRETRAINED[name]
        if model.fused:
            needs = [
                f"{spec.file_name} at {spec.located()}"
                if spec.located()
                else f"{spec.file_name}, not fetched yet (bgremover download {name})"
                for spec in pinned_files(name)
            ]
            how = f"fuses other models (bgremover.fusion), needs {'; '.join(needs)}"
        else:
            run = run_config(name)
            shape = f"{run.working_size}×{run.working_size}" if run.square else f"long side {run.working_size}"
            how = f"{shape}, backend {run.backend}, precision {run.precision}"
        note = f" ({model.note})" if model.note else ""
        print(f"{name:<8} {model.label}{note}: {how}; {model.folder}")
    return 0


def _download_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="MODEL", help="shipped models (default: all of them)")


@command("download", "fetch ahead the files the shipped models download at first use", _download_options)
def _download(args: argparse.Namespace) -> int:
    from bgremover.prefetch import prefetch

    failed = False
    for fetched in prefetch(args.names):
        if fetched.file is None:
            print(f"{fetched.model}: {fetched.how}, nothing to fetch")
        elif fetched.error:
            failed = True
            print(f"bgremover: error: {fetched.model}: {fetched.error}", file=sys.stderr)
        else:
            size = f"{fetched.path.stat().st_size / 2**20:.1f} MiB"
            print(f"{fetched.model}: {fetched.file.file_name} ({size}, sha256 checked), {fetched.how}: {fetched.path}")
    return 1 if failed else 0


@command("cut", "remove the background of images, folders and videos", _cut_options)
def _cut(args: argparse.Namespace) -> int:
    from bgremover.batch import STDIO, collect_inputs, cut_files, folder_videos
    from bgremover.constants import OUTPUT_IMAGE_SUFFIXES, VIDEO_OUTPUT_SUFFIXES
    from bgremover.options import CutOptions
    from bgremover.video_cli import cut_videos, photo_only, split_videos

    if args.engine == "ray":
        return _cut_with_ray(args)
    if args.watch:
        return _watch(args)
    videos, images = split_videos(args.inputs)
    in_folders = folder_videos(images, exclude=Path(args.output)) if args.output != STDIO else []
    if videos and (args.threshold is not None or args.foreground_estimation):
        raise UsageError("--threshold and --foreground-estimation apply to images; cut videos in a separate call")
    if photo_only(CutOptions.from_args(args), in_folders):
        in_folders = []
    if in_folders and Path(args.output).suffix.lower() in (*OUTPUT_IMAGE_SUFFIXES, *VIDEO_OUTPUT_SUFFIXES):
        raise UsageError(f"the folders hold videos too, which are cut into a folder; {args.output} names a file")
    if in_folders and not collect_inputs(images, [], exclude=Path(args.output)):
        images = []  # the folders hold videos only
    if (videos or in_folders) and not images and args.photo_format:
        raise UsageError("--photo-format sets the photos' cut-outs; a video's is set by --format")
    failures = []
    if images:
        failures += cut_files(images, args.output, device=args.device, **photo_job(args))
    if videos or in_folders:
        failures += cut_videos([*videos, *(video for video, _ in in_folders)], args, dict(in_folders))
    return 1 if failures else 0


def _watch(args: argparse.Namespace) -> int:
    """``cut --watch``: stopped by Ctrl-C or a service manager's SIGTERM alike, exit code 0 unless a photo failed."""
    import signal

    from bgremover.watch import watch_folders

    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        videos = dict(video_format=args.format, stabilize=not args.no_stabilize)
        return 1 if watch_folders(args.inputs, args.output, device=args.device, **videos, **photo_job(args)) else 0
    finally:
        signal.signal(signal.SIGTERM, previous)


def photo_job(args: argparse.Namespace) -> dict:
    """What both engines of ``bgremover cut`` take from its arguments for photos, the cut's options
    checked once (:class:`~bgremover.options.CutOptions`)."""
    from bgremover.options import CutOptions

    options = CutOptions.from_args(args)
    return dict(
        model=args.model, background=args.bg, mask=args.mask, options=options, backend=args.backend,
        precision=args.precision, overwrite=args.overwrite, photo_format=args.photo_format,
    )  # fmt: skip


def _cut_with_ray(args: argparse.Namespace) -> int:
    from bgremover.batch import folder_videos
    from bgremover.ray_cut import cut_with_ray
    from bgremover.video_cli import split_videos

    if split_videos(args.inputs)[0]:
        raise UsageError("--engine ray cuts photos; cut videos without it")
    if args.watch:
        raise UsageError("--watch runs in this process; drop --engine ray")
    if args.device:
        raise UsageError("--engine ray places the model itself (a GPU per actor where there are GPUs); drop --device")
    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, got {args.batch_size}")
    in_folders = folder_videos(args.inputs, exclude=Path(args.output))
    if in_folders:
        print(
            f"note: --engine ray cuts photos; {len(in_folders)} video(s) in the folders are left as they are (first: "
            f"{in_folders[0][0]}): cut them without --engine ray",
            file=sys.stderr,
        )
    report = cut_with_ray(
        args.inputs,
        args.output,
        **photo_job(args),
        address=args.address,
        actors=args.actors,
        gpus_per_actor=args.gpus_per_actor,
        batch_size=args.batch_size,
    )
    for path, reason in report.failures:
        print(f"skipped {path}: {reason}", file=sys.stderr)
    print(report.summary(args.output))
    return 1 if report.failures else 0


def _export_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "format",
        choices=["onnx", "openvino-int8"],
        help="onnx: dynamic height/width (--int8: also onnxruntime int8); openvino-int8: NNCF int8 at the "
        "model's square working size (needs nncf; write it into the model folder as openvino_int8.xml and "
        "set the run precision to int8 to have load_model use it)",
    )
    parser.add_argument("--model", default=None, help="default | fast | model folder | Hub repo id")
    parser.add_argument("-o", "--output", default=None, help="default: bgremover.onnx / bgremover-int8.xml")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--int8", action="store_true", help="onnx: also write an int8 model (<output>-int8.onnx)")
    parser.add_argument(
        "--calibration",
        nargs="+",
        help="folders of photos for int8 calibration: data folders (images/ and masks/; their trainval split where "
        "they have one) or any folder of photos like those the model will cut; onnx without it: dynamic int8",
    )
    parser.add_argument("--calibration-images", type=int, default=64, help="about this many photos per folder")
    parser.add_argument(
        "--preset", choices=["performance", "mixed"], default="performance", help="openvino-int8: NNCF preset"
    )


def _calibration_images(args: argparse.Namespace) -> Iterator:
    """About ``--calibration-images`` photos from each ``--calibration`` folder, checked before any is decoded:
    a data folder (``images/`` and ``masks/``) from its trainval split where it has one, any other folder from
    the photos in it and its subfolders (no masks needed: photos like those the model will cut)."""
    from bgremover.batch import collect_inputs
    from bgremover.data import SegmentationFolder
    from bgremover.io import read_image

    if args.calibration_images < 1:
        raise UsageError(f"--calibration-images must be at least 1, got {args.calibration_images}")
    sources = []
    for folder in map(Path, args.calibration or []):
        if not folder.is_dir():
            raise UsageError(f"--calibration takes folders of photos; {folder} is not a folder")
        if (folder / "images").is_dir() and (folder / "masks").is_dir():
            split = "trainval" if (folder / "splits" / "trainval.txt").is_file() else None
            sources.append(SegmentationFolder(folder, split=split).sample_images(args.calibration_images))
            continue
        photos = [path for path, _ in collect_inputs([str(folder)])]
        if not photos:
            raise UsageError(f"--calibration: no photos in {folder}")
        step = max(1, len(photos) // args.calibration_images)
        sources.append(read_image(path) for path in photos[::step])
    return itertools.chain.from_iterable(sources)  # decoded one at a time, as quantization asks


@command("export", "export a model (ONNX with dynamic height/width, optional int8; OpenVINO int8)", _export_options)
def _export(args: argparse.Namespace) -> int:
    if args.format == "openvino-int8":
        from bgremover.deploy.openvino_int8 import quantize_openvino
        from bgremover.hub import run_config

        run = run_config(args.model)
        if not run.square:
            print(
                f"openvino-int8 fixes the input size, so the model must run square (its run block: "
                f"working_size {run.working_size}, square false)",
                file=sys.stderr,
            )
            return 2
        if not args.calibration:
            print("openvino-int8 needs --calibration: folders of photos", file=sys.stderr)
            return 2
        output = args.output or "bgremover-int8.xml"
        path = quantize_openvino(args.model, output, _calibration_images(args), run.working_size, args.preset)
        print(f"wrote {path} and {path.with_suffix('.bin')} ({run.working_size}×{run.working_size} inputs)")
        return 0
    from bgremover.deploy.export import export_onnx

    images = _calibration_images(args) if args.int8 and args.calibration else None  # its folders checked first
    path = export_onnx(args.model, args.output or "bgremover.onnx", args.opset)
    print(f"wrote {path}")
    if args.int8:
        from bgremover.deploy.quantize import quantize_onnx

        print(f"wrote {quantize_onnx(path, Path(path).with_name(Path(path).stem + '-int8.onnx'), images)}")
    return 0


def _prune_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="model source (default: the committed model)")
    parser.add_argument("--amount", type=float, required=True, help="fraction of each conv to zero, e.g. 0.3")
    parser.add_argument("--unstructured", action="store_true", help="single weights (L1) instead of channels (L2)")
    parser.add_argument("--decoder-only", action="store_true", help="leave the encoder's convs untouched")
    parser.add_argument("-o", "--output", required=True, help="folder for the pruned model (save_pretrained)")


@command(
    "prune",
    "zero conv channels or weights by magnitude and save the model (fine-tune: train --init-from --prune-amount)",
    _prune_options,
)
def _prune(args: argparse.Namespace) -> int:
    import json

    from bgremover.deploy.prune import prune_model
    from bgremover.hub import load_network

    network = load_network(args.model)
    report = prune_model(network, args.amount, structured=not args.unstructured, decoder_only=args.decoder_only)
    network.save_pretrained(args.output)
    print(json.dumps(report))
    return 0


def _push_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo-id", required=True, help="USER/NAME on the Hugging Face Hub")
    parser.add_argument("--model", default=None, help="model folder or name (default: the committed model)")
    parser.add_argument("--private", action="store_true")


@command("push", "upload a model folder and its card to the Hugging Face Hub (token from env/login)", _push_options)
def _push(args: argparse.Namespace) -> int:
    from huggingface_hub import create_repo, upload_folder

    from bgremover.hub import REPO_ID, resolve_source

    if not REPO_ID.match(args.repo_id):
        print(f"not a Hub repo id: {args.repo_id!r} (expected USER/NAME)", file=sys.stderr)
        return 2
    folder = resolve_source(args.model)
    create_repo(args.repo_id, private=args.private, exist_ok=True)
    commit = upload_folder(repo_id=args.repo_id, folder_path=folder, commit_message="Upload bgremover model")
    print(f"uploaded {folder} to {commit.repo_url if hasattr(commit, 'repo_url') else args.repo_id}")
    return 0


def _average_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sources", nargs="+", help="model sources (folders, names, Hub ids) or run checkpoints (.pt)")
    parser.add_argument("--weights", nargs="+", type=float, help="one per source (default: equal); normalised")
    parser.add_argument("-o", "--out", required=True, help="the new model folder (run block of the first source)")


@command(
    "average-weights", "average the weights of models of one architecture into a new model folder", _average_options
)
def _average_weights(args: argparse.Namespace) -> int:
    from bgremover.train.average import save_average

    print(f"wrote {args.out}: {save_average(args.sources, args.out, args.weights)}")
    return 0


def _validate_options(parser: argparse.ArgumentParser) -> None:
    from bgremover.constants import DEFAULT_RECIPE, UPSAMPLERS

    parser.add_argument("--model", nargs="+", required=True, help="NAME=SOURCE[:WORKING_SIZE], e.g. new=runs/a/best")
    parser.add_argument(
        "--config",
        default=DEFAULT_RECIPE,
        help=f"a recipe or a run's config.json whose validation set to use ({DEFAULT_RECIPE})",
    )
    parser.add_argument(
        "--real-closeups", action="store_true", help="add the part of real close-ups if the config has none"
    )
    parser.add_argument("--tta", action="store_true", help="also score each model with flip TTA")
    parser.add_argument("--multiscale", action="store_true", help="also score each model with flip + multi-scale TTA")
    parser.add_argument(
        "--upsample",
        nargs="+",
        choices=UPSAMPLERS,
        default=[],
        help="also score each model with this way of bringing its map to the photo's size",
    )
    parser.add_argument("--threshold", type=float, default=0.5, help="alpha from which a pixel counts as person (0.5)")
    parser.add_argument("--digits", type=int, default=4, help="decimals printed (more to tell near ties apart)")
    parser.add_argument("--paired", action="store_true", help="also print each row's paired difference from the first")


@command(
    "validate",
    "score models as they run on a training recipe's validation set (never a benchmark set)",
    _validate_options,
)
def _validate(args: argparse.Namespace) -> int:
    from bgremover.train.validate import validate

    variants = [
        "",
        *(["+flip"] if args.tta else []),
        *(["+flip+multiscale"] if args.multiscale else []),
        *(f"+{name}" for name in args.upsample),
    ]
    validate(args.model, args.config, args.real_closeups, variants, args.threshold, args.digits, args.paired)
    return 0


def _reference_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        nargs="+",
        required=True,
        help="training data folders, e.g. ../shared/data/ccp_person ../shared/data/people_extra",
    )
    parser.add_argument("--split", default="trainval", help="split of the folders that have one (default: trainval)")
    parser.add_argument("--limit", type=int, default=400, help="images to sample per folder (default: 400)")
    parser.add_argument("--model", default=None, help="model folder (default: the committed model)")


@command("monitor-reference", "save the drift/quality reference statistics beside a model", _reference_options)
def _monitor_reference(args: argparse.Namespace) -> int:
    import itertools

    from bgremover.data import SegmentationFolder
    from bgremover.hub import resolve_source
    from bgremover.models import load_model
    from bgremover.serve.monitor import DriftReference

    folder = resolve_source(args.model)
    segmenter = load_model(folder)
    sets = [
        SegmentationFolder(data, split=args.split if (Path(data) / "splits" / f"{args.split}.txt").is_file() else None)
        for data in args.data
    ]
    images = itertools.chain.from_iterable(dataset.sample_images(args.limit) for dataset in sets)
    reference = DriftReference.build(images, segmenter.predict)
    print(f"wrote {reference.save(folder)}: {len(reference.quality_scores)} photos, thresholds {reference.thresholds}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bgremover", description="Person background removal.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, configure, run) in COMMANDS.items():
        child = sub.add_parser(name, help=help_text, description=help_text)
        configure(child)
        child.set_defaults(handler=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except BgremoverError as err:  # a bug (any other exception) keeps its traceback
        print(f"bgremover: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130  # Ctrl-C: outputs in progress were removed, finished ones kept


if __name__ == "__main__":
    sys.exit(main())
