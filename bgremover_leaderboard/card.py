"""The model card (the model folder's README.md), generated from the training run and the leaderboard."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from bgremover.constants import INT8_FILE
from bgremover.data import CompositeConfig
from bgremover.hub import resolve_source, run_config
from bgremover.inference import run_settings
from bgremover.train.config import flat_config
from bgremover_leaderboard.report import DATASET_ORDER as DATASETS
from bgremover_leaderboard.report import load_results

TABLE_METRICS = (
    ("iou", "IoU", 3),
    ("dice", "Dice", 3),
    ("boundary_f", "bF", 3),
    ("sad", "SAD", 1),
    ("ssim", "SSIM", 3),
    ("lpips", "LPIPS", 3),
)


# the Hub's model-card metadata block, shared by every card this package writes
FRONT_MATTER = (
    "---",
    "library_name: bgremover",
    "license: apache-2.0",
    "tags: [image-segmentation, background-removal, person-segmentation]",
    "---",
    "",
)


def comparison_table(results: dict[str, dict], methods: list[str]) -> list[str]:
    """Markdown rows: method × (IoU, Dice, boundary F, SAD, SSIM, LPIPS per dataset) + p50/p95 on CCP."""
    sets = [d for d in DATASETS if d in results]
    names = " / ".join(label for _, label, _ in TABLE_METRICS)
    header = "| method | " + " | ".join(f"{d} {names}" for d in sets) + " | p50 / p95 ms (CCP) |"
    lines = [header, "|---|" + "---|" * (len(sets) + 1)]
    for method in methods:
        cells = []
        for dataset in sets:
            result = results[dataset]["results"].get(method)
            if not result or not result["available"]:
                cells.append("—")
                continue
            m = result["mean"]
            cells.append(" / ".join(f"{m[key]:.{digits}f}" for key, _, digits in TABLE_METRICS))
        ccp = results.get("ccp_test", {}).get("results", {}).get(method, {})
        latency = ccp.get("latency_ms") if ccp.get("available") else None
        cells.append(f"{latency['p50']:.0f} / {latency['p95']:.0f}" if latency else "—")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return lines


def methods_in(results: dict[str, dict]) -> list[str]:
    """The methods of a results folder measured on at least one set (a card has no row of dashes), in
    the order of its first dataset's document."""
    names = list(next(iter(results.values()))["results"]) if results else []
    return [name for name in names if any(d["results"].get(name, {}).get("available") for d in results.values())]


def design_section(design_dir: Path, results: dict[str, dict], method: str) -> list[str]:
    """The ablation rows (``design_dir/<dataset>.json``) beside this model, and its k-fold CV summary."""
    design = load_results(design_dir)
    for dataset, document in design.items():
        if method in results.get(dataset, {}).get("results", {}):
            document["results"] = {method: results[dataset]["results"][method], **document["results"]}
    methods = methods_in(design)
    lines = [
        "## What each part of the design buys (same data and schedule, one run each)",
        "",
        *comparison_table(design, methods),
    ]
    cv_path = design_dir / "cv" / "cv.json"
    if cv_path.is_file():
        cv = json.loads(cv_path.read_text())
        mean, std = cv["mean"], cv["std"]
        lines += [
            "",
            f"{cv['folds']}-fold cross-validation of this recipe on the training split (validation IoU): "
            f"{mean['iou']:.3f} ± {std['iou']:.3f}, Dice {mean['dice']:.3f} ± {std['dice']:.3f}, "
            f"boundary F {mean['boundary_f']:.3f} ± {std['boundary_f']:.3f}.",
        ]
    return [*lines, ""]


def worst_cases(results: dict[str, dict], method: str = "ours", count: int = 5) -> list[str]:
    lines = []
    for dataset in DATASETS:
        result = results.get(dataset, {}).get("results", {}).get(method)
        if not result or not result["available"]:
            continue
        ranked = sorted(result["per_image"].items(), key=lambda item: item[1]["iou"])[:count]
        lines.append(f"- {dataset}: " + ", ".join(f"{stem} (IoU {m['iou']:.2f})" for stem, m in ranked))
    return lines


RUNTIMES = {  # (run block backend, precision): how the card names the default runtime
    ("torch", "default"): ", in PyTorch",
    ("onnx", "default"): ", in ONNX Runtime",
    ("openvino", "default"): ", in OpenVINO",
    ("auto", "f32"): ", in ONNX Runtime fp32",
    ("auto", "default"): ", in OpenVINO where the CPU has bf16, else ONNX Runtime",
    ("auto", "int8"): ", its int8 file in OpenVINO (`openvino_int8.xml`; without OpenVINO: ONNX Runtime fp32)",
}


AUTOCAST_WORDS = {None: "fp32", "bfloat16": "bf16 autocast", "float16": "fp16 autocast"}


def hardware(config: dict, run_dir: Path) -> str:
    """Precision and machine of the run, from its ``environment.json`` (written by the trainer).

    Example:
        >>> hardware({"amp": True}, Path("no-such-run"))
        'bf16 autocast (the machine was not recorded for this run)'
    """
    precision = "bf16 autocast" if config.get("amp") else "fp32"
    path = Path(run_dir) / "environment.json"
    if not path.is_file():
        return f"{precision} (the machine was not recorded for this run)"
    env = json.loads(path.read_text())
    if "autocast" in env:  # recorded since 0.7.1: amp runs fp32 on CPUs without bf16 kernels
        precision = AUTOCAST_WORDS[env["autocast"]]
    where = env["gpu"] or f"{env['cores']}-core {env['cpu']}"
    processes = f", {env['processes']} processes" if env.get("processes", 1) > 1 else ""
    return f"{precision} on {where}{processes} (torch {env['torch']})"


def method_name(model_dir: Path) -> str:
    """The model's name on the leaderboard: ``ours`` for the default model, else ``ours:<folder>``."""
    default = Path(resolve_source("default")).resolve()
    return "ours" if Path(model_dir).resolve() == default else f"ours:{Path(model_dir).name}"


def architecture(model_config: dict, config: dict) -> str:
    """One sentence on the network and where its encoder weights came from."""
    encoder = model_config["encoder_name"]
    weights = config.get("encoder_weights")
    origin = "ImageNet" if weights == "imagenet" else (f"initialised from `{weights}`" if weights else "random init")
    if config.get("init_from"):
        origin = f"all weights initialised from `{config['init_from']}`"
    if model_config.get("arch") in ("deeplabv3plus", "unet"):
        return f"segmentation_models_pytorch {model_config['arch']} on `{encoder}` ({origin})"
    gates = "Attention U-Net" if model_config.get("attention", True) else "U-Net without attention gates"
    return f"{gates} on `{encoder}` ({origin}), decoder channels {model_config['decoder_channels']}"


PORTRAIT_P_BEFORE_ITS_KNOB = 0.3  # the compositor's head-and-torso share in runs from before the option


def composite_description(config: dict) -> str:
    """How a run's composites were drawn (runs from before a knob existed used its value then)."""
    config, defaults = flat_config(config), CompositeConfig()
    group_p, group_max = config.get("group_p", defaults.group_p), config.get("group_max", defaults.group_size[1])
    row_p = config.get("group_row_p", defaults.group_row_p)
    parts = ["scale 10–100 % of the frame height"]
    if config.get("closeup_p"):
        parts.append(f"{config['closeup_p']:.0%} head-and-shoulders close-ups filling the frame")
    portrait_p = config.get("portrait_p", PORTRAIT_P_BEFORE_ITS_KNOB)
    parts += [f"{portrait_p:.0%} head-and-torso crops", f"{group_p:.0%} groups of 2–{group_max}"]
    if row_p:
        parts.append(f"{row_p:.0%} of the groups standing shoulder to shoulder on one ground line")
    if config.get("empty_p"):
        parts.append(f"{config['empty_p']:.0%} with nobody in them")
    if config.get("closeup_p") is not None:  # runs since one camera for person and background
        parts.append("canvas sized so that the person is never enlarged")
    if config.get("defocus_p"):
        low, high = config.get("defocus_radius", CompositeConfig.defocus_radius)  # unchanged since the knob
        close = min(1.0, 2 * config["defocus_p"])
        parts.append(
            f"background defocused in {config['defocus_p']:.0%} (close-ups {close:.0%}; "
            f"disk radius {low:.1%}–{high:.1%} of the long side)"
        )
    if config.get("harmonize_p"):
        parts.append(f"{config['harmonize_p']:.0%} with the person's colours moved towards the background's")
    if config.get("camera_p"):
        parts.append(f"resampling, sensor noise and JPEG on {config['camera_p'] / 2:.0%} of samples each")
    return ", ".join([*parts, "feathered edges"])


def data_description(config: dict) -> str:
    """The run's training data: its folders, the real-photo share and the background folders."""
    config = flat_config(config)
    backgrounds = config.get("backgrounds") or []
    backgrounds = [backgrounds] if isinstance(backgrounds, str) else backgrounds
    names = ", ".join(f"`{Path(b).name}`" for b in backgrounds) or "none"
    extra = config.get("extra_data") or []
    extra_text = (
        f" plus every photo of {', '.join(f'`{Path(e).name}`' for e in extra)} (× {config.get('extra_repeat', 1)})"
        if extra
        else ""
    )
    folders = "each drawn equally often, four fifths of each" if len(backgrounds) > 1 else "four fifths of it"
    return (
        f"`{Path(config['data']).name}` `{config.get('split') or 'all'}` split "
        f"({round(config['val_fraction'] * 100)} % held out for validation){extra_text}; "
        f"{1 - config['composite_p']:.0%} of the samples are these real photos as they are, "
        f"{config['composite_p']:.0%} their people pasted onto background photos from {names} "
        f"({folders}; {composite_description(config)})."
    )


def recipe_extras(config: dict) -> list[str]:
    """Recipe lines for occluders, distillation and pruning, when the run used them."""
    config = flat_config(config)
    lines = []
    if config.get("occluder_p"):
        lines.append(
            f"- Occluders: {config['occluder_p']:.0%} of the composites get a polygon of another background "
            "photo laid over the people, labelled background."
        )
    if config.get("squash_p"):
        lines.append(
            f"- Squashed inputs: {config['squash_p']:.0%} of the samples resized to the square whatever their "
            "aspect, as the model is run."
        )
    if config.get("real_closeup_p"):
        lines.append(
            f"- Real close-ups: {config['real_closeup_p']:.0%} of the real photos (those not composited) cropped, "
            "not resampled, to a head-and-shoulders close-up of their person."
        )
    if config.get("teacher"):
        scale, flip = config.get("teacher_scale", 1.0), config.get("teacher_flip", False)
        seen = "the same batches" + (f" enlarged {scale:g}×" if scale != 1.0 else "")
        seen += ", its logits averaged with its mirrored pass's" if flip else ""
        lines.append(
            f"- Distilled from `{config['teacher']}`: + {config['w_distill']}·T²·BCE(σ(student/T), σ(teacher/T)), "
            f"T={config['distill_temperature']}, teacher run on {seen}."
        )
    if config.get("prune_amount"):
        kind = "output channels (L2)" if config["prune_structured"] else "weights (L1)"
        amount = config["prune_amount"]
        lines.append(f"- Pruned: {amount:.0%} of each conv's {kind} zeroed and kept zero while fine-tuning.")
    return lines


def averaging(averaged_from: Sequence[str], run_dir: Path) -> list[str]:
    """The recipe line of a weight average, naming its ingredients.

    Example:
        >>> averaging(["the old tier", "a new fine-tune"], Path("runs/f4"))[0][:60]
        '- Weights: the uniform average (`bgremover average-weights`)'
    """
    if not averaged_from:
        return []
    return [
        f"- Weights: the uniform average (`bgremover average-weights`) of {len(averaged_from)} models of this network: "
        + "; ".join(averaged_from)
        + f". The data and recipe above are those of `{run_dir.name}`, the run (or one of the runs) they came from."
    ]


def kept_epoch(epochs: list[dict], number: int | None) -> list[str]:
    """The recipe line of weights taken from one epoch's ``epoch-N/`` folder (``--keep-epochs``).

    Example:
        >>> kept_epoch([{"epoch": 0, "step": 158, "iou": 0.96}, {"epoch": 1, "step": 316, "iou": 0.97}], 1)[0][-54:]
        "training's own validation IoU there 0.9600 (step 158)."
    """
    if number is None:
        return []
    found = [record for record in epochs if record["epoch"] == number - 1]
    if not found:
        raise ValueError(f"the run logged no epoch {number} (epoch-{number}/ is the weights after it)")
    return [
        f"- Weights: the run's `epoch-{number}` weights (`--keep-epochs`), chosen on validation by "
        f"`bgremover validate`; training's own validation IoU there {found[0]['iou']:.4f} (step {found[0]['step']})."
    ]


def write_model_card(
    model_dir: str | os.PathLike,
    run_dir: str | os.PathLike,
    limitations: list[str],
    results_dir: str | os.PathLike | None = None,
    design_dir: str | os.PathLike | None = None,
    averaged_from: Sequence[str] = (),
    epoch: int | None = None,
) -> Path:
    """Write ``model_dir/README.md`` from ``run_dir/config.json``, its epoch log and the leaderboard.

    ``design_dir`` (leaderboard results of the ablation runs, plus ``cv/cv.json``) adds the design comparison.
    ``averaged_from`` describes the models whose weights were averaged into this one (``run_dir`` is
    then one of them, whose data and recipe the card states); ``epoch`` says the weights are the run's
    ``epoch-N/`` folder rather than its best.
    """
    model_dir, run_dir = Path(model_dir), Path(run_dir)
    config = json.loads((run_dir / "config.json").read_text())
    model_config = json.loads((model_dir / "config.json").read_text())
    epochs = [json.loads(line) for line in (run_dir / "epochs.jsonl").read_text().splitlines() if line.strip()]
    best = max(epochs, key=lambda r: r["iou"])
    best_label = "That run's best" if averaged_from or epoch is not None else "Best"
    results = load_results(Path(results_dir)) if results_dir else load_results()
    method = method_name(model_dir)
    working_size, _, square = run_settings(model_dir)
    run_size = (
        f"{working_size}×{working_size}, whatever the photo's aspect" if square else f"{working_size} px long side"
    )
    run = run_config(model_dir)
    run_size += RUNTIMES.get((run.backend, run.precision), "")
    methods = methods_in(results)
    size_mb = (model_dir / "model.safetensors").stat().st_size / 2**20
    int8 = model_dir / INT8_FILE
    int8_note = (
        f" Its int8 file ({(int8.stat().st_size + int8.with_suffix('.bin').stat().st_size) / 2**20:.1f} MB, "
        f"{working_size}² inputs) is NNCF post-training quantization calibrated on training photos "
        '(`bgremover export openvino-int8`); `precision="default"` runs the network unquantized.'
        if int8.is_file()
        else ""
    )
    lines = [
        *FRONT_MATTER,
        f"# {model_dir.name}",
        "",
        f"{architecture(model_config, config)}, for person/background segmentation. Input: RGB in [0, 1], any "
        f"size (run at {run_size}); output: person logits. {size_mb:.1f} MB (safetensors). "
        f'Load with `bgremover.load_model("{model_dir}")`; it is `{method}` on the leaderboard.{int8_note}',
        "",
        "## Training",
        "",
        f"- Data: {data_description(config)} "
        "Every set is research/non-commercial (see each folder's SOURCE.txt): the weights inherit that "
        "restriction in practice.",
        f"- Recipe: {config['epochs']} epochs, batch {config['batch_size']}, multi-scale {list(config['scales'])}, "
        f"Adam lr {config['lr']} (weight decay {config['weight_decay']}), cosine warm restarts T0={config['t0']} "
        f"T_mult={config['t_mult']}, loss {config['w_bce']}·BCE + {config['w_dice']}·Dice + "
        f"{config['w_perceptual']}·VGG16 perceptual + {config['w_edge']}·Sobel edge, {hardware(config, run_dir)}.",
        *recipe_extras(config),
        *averaging(averaged_from, run_dir),
        *kept_epoch(epochs, epoch),
        f"- {best_label} validation IoU {best['iou']:.4f} (epoch {best['epoch'] + 1}, step {best['step']}).",
        "",
        "## Results (measured by `python -m bgremover_leaderboard run`)",
        "",
        *comparison_table(results, methods),
        "",
        *(design_section(Path(design_dir), results, method) if design_dir else []),
        "## Intended use",
        "",
        "Cutting one or a few people out of photos: portraits, full-body shots, webcam frames, on a CPU.",
        "",
        "## Limitations",
        "",
        *(f"- {item}" for item in limitations),
        "- Lowest-IoU images per benchmark: ",
        *(f"  {line}" for line in worst_cases(results, method)),
        "",
    ]
    path = model_dir / "README.md"
    path.write_text("\n".join(lines))
    return path
