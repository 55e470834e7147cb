"""Committed results: loading, schema validation, and the generated markdown table."""

from __future__ import annotations

import json
from pathlib import Path

from bgremover_leaderboard.framing import FRAMINGS

RESULTS_DIR = Path(__file__).resolve().parent / "results"

ALL_METRICS = (
    "iou",
    "dice",
    "ssim",
    "lpips",
    "pixel_accuracy",
    "precision",
    "sensitivity",
    "specificity",
    "f1",
    "boundary_f",
    "trimap_accuracy",
    "sad",
    "mse",
    "gradient_error",
)
LOWER_IS_BETTER = {"lpips", "sad", "mse", "gradient_error"}
QUALITATIVE = ("cihp_sample",)  # too few photos to pool
DATASET_ORDER = ("ccp_test", "davis", "davis_clean", "web_people", "indoor_closeup", "cihp_sample")


class SchemaError(ValueError):
    """A results file does not have the committed layout."""


def validate(document: dict) -> None:
    """Raise :class:`SchemaError` naming the first thing missing or malformed."""
    for key in ("dataset", "images", "checksum", "environment", "results"):
        if key not in document:
            raise SchemaError(f"missing top-level key {key!r}")
    for key in ("cpu", "threads", "packages", "date"):
        if key not in document["environment"]:
            raise SchemaError(f"environment lacks {key!r}")
    for name, result in document["results"].items():
        if "available" not in result:
            raise SchemaError(f"{name}: missing 'available'")
        if not result["available"]:
            if not result.get("reason"):
                raise SchemaError(f"{name}: unavailable without a reason")
            continue
        for key in ("mean", "std", "micro", "latency_ms", "per_image", "count"):
            if key not in result:
                raise SchemaError(f"{name}: missing {key!r}")
        missing = [m for m in ALL_METRICS if m not in result["mean"]]
        if missing:
            raise SchemaError(f"{name}: mean lacks {missing}")
        if result["count"] != len(result["per_image"]):
            raise SchemaError(f"{name}: count {result['count']} != {len(result['per_image'])} per-image rows")
        for q in ("p50", "p95"):
            if not result["latency_ms"].get(q, 0) > 0:
                raise SchemaError(f"{name}: latency {q} must be positive")


def load_results(folder: Path = RESULTS_DIR) -> dict[str, dict]:
    """Every committed ``<dataset>.json``, validated, in display order."""
    documents = {}
    for path in sorted(folder.glob("*.json"), key=lambda p: (*DATASET_ORDER, p.stem).index(p.stem)):
        document = json.loads(path.read_text())
        validate(document)
        documents[document["dataset"]] = document
    return documents


def rows(document: dict, metrics=("iou", "dice", "boundary_f", "ssim", "lpips")) -> list[list]:
    """Table rows (method, metrics…, p50, p95 ms) sorted by IoU; unavailable methods last with their reason."""
    available = [r for r in document["results"].values() if r["available"]]
    available.sort(key=lambda r: -r["mean"]["iou"])
    table = [
        [
            r["method"],
            *(round(r["mean"][m], 4) for m in metrics),
            round(r["latency_ms"]["p50"], 1),
            round(r["latency_ms"]["p95"], 1),
        ]
        for r in available
    ]
    for r in document["results"].values():
        if not r["available"]:
            table.append([r["method"], *(["—"] * len(metrics)), "—", f"unavailable: {r['reason']}"])
    return table


def by_framing(documents: dict[str, dict], metric: str = "iou") -> tuple[dict[str, int], list[list]]:
    """Per-image ``metric`` pooled over every set that records its photos' framing, averaged per
    framing (:mod:`bgremover_leaderboard.framing`): the photo counts per framing, and one row per method
    (methods missing from some of those sets are left out, and framings that some method scored no
    photo of, so every cell has photos behind it)."""
    sets = [d for d in documents.values() if d.get("framing") and d["dataset"] not in QUALITATIVE]
    if not sets:
        return {}, []
    labels = {(d["dataset"], stem): label for d in sets for stem, label in d["framing"].items()}
    names = [n for n, r in sets[0]["results"].items() if r["available"]]
    names = [n for n in names if all(d["results"].get(n, {}).get("available") for d in sets)]
    scores = {name: {f: [] for f in FRAMINGS} for name in names}
    for name in names:
        for d in sets:
            for stem, values in d["results"][name]["per_image"].items():
                scores[name][labels[(d["dataset"], stem)]].append(values[metric])
    columns = [f for f in FRAMINGS if names and all(scores[name][f] for name in names)]
    counts = {f: len(scores[names[0]][f]) for f in columns}
    table = [[name, *(round(sum(scores[name][f]) / len(scores[name][f]), 4) for f in columns)] for name in names]
    table.sort(key=lambda row: -sum(row[1:]))
    return counts, table


def write_markdown(folder: Path = RESULTS_DIR) -> Path:
    """``results/README.md``: one table per dataset plus the environment."""
    documents = load_results(folder)
    metrics = ("iou", "dice", "boundary_f", "ssim", "lpips", "sad")
    lines = [
        "# Leaderboard",
        "",
        "Generated by `python -m bgremover_leaderboard run`; every number measured on this machine.",
        "Metrics are per-image means; latency is per image at each method's working resolution.",
        "",
    ]
    for name, document in documents.items():
        env = document["environment"]
        lines += [
            f"## {name} ({document['images']} images) — {document.get('description', '')}",
            "",
            "| method | " + " | ".join(metrics) + " | p50 ms | p95 ms |",
            "|---|" + "---|" * (len(metrics) + 2),
        ]
        lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows(document, metrics)]
        lines += [
            "",
            f"Environment: {env['cpu']}, {env['threads']} threads, {env['date']}; "
            f"dataset sha256 `{document['checksum'][:16]}…`",
            "",
        ]
    counts, table = by_framing(documents)
    if table:
        sets = ", ".join(d for d, doc in documents.items() if doc.get("framing") and d not in QUALITATIVE)
        lines += [
            "## IoU by framing",
            "",
            f"Per-image IoU pooled over {sets}, by how the ground truth frames its people "
            "(`bgremover_leaderboard/framing.py`); columns give the number of photos.",
            "",
            "| method | " + " | ".join(f"{f} ({n})" for f, n in counts.items()) + " |",
            "|---|" + "---|" * len(counts),
        ]
        lines += ["| " + " | ".join(map(str, row)) + " |" for row in table]
        lines.append("")
    path = folder / "README.md"
    path.write_text("\n".join(lines))
    return path
