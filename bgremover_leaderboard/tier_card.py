"""The shipped tiers' model cards (``bgremover/pretrained/<tier>/README.md``), written from the tier's
``card.yaml`` (what it is, what it is made of, its limitations) and the committed leaderboard results
(every number), so that a card never shows a number the results do not hold.

    python -m bgremover_leaderboard tier-card bgremover/pretrained/bgremover-lite2
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from bgremover.pretrained import PRETRAINED
from bgremover_leaderboard.card import FRONT_MATTER
from bgremover_leaderboard.report import RESULTS_DIR, load_results

SETS = {  # leaderboard set → column title
    "ccp_test": "CCP test",
    "davis": "DAVIS",
    "davis_clean": "DAVIS clean",
    "web_people": "web photos",
    "indoor_closeup": "indoor close-ups",
    "cihp_sample": "CIHP (5)",
}
PEERS = {"u2net": "rembg U²-Net (full)", "u2netp": "rembg U²-Netp", "mediapipe_selfie": "MediaPipe Selfie"}


def results_table(results: dict[str, dict], rows: dict[str, str]) -> list[str]:
    """Markdown rows: IoU per set and p95 ms on CCP test for each (method → label) in ``rows``."""
    lines = [
        "| method | " + " | ".join(SETS.values()) + " | p95 ms (CCP test) |",
        "|---|" + "---|" * (len(SETS) + 1),
    ]
    for method, label in rows.items():
        cells = []
        for name in SETS:
            entry = results.get(name, {}).get("results", {}).get(method)
            cells.append(f"{entry['mean']['iou']:.3f}" if entry and entry["available"] else "—")
        ccp = results.get("ccp_test", {}).get("results", {}).get(method)
        p95 = f"{ccp['latency_ms']['p95']:.0f}" if ccp and ccp["available"] else "—"
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {p95} |")
    return lines


def measured_on(results: dict[str, dict]) -> str:
    """The machine and the latest date a results file was written (rows may be older: each row is kept
    until its method is run again)."""
    environment = next(iter(results.values()))["environment"]
    latest = max(document["environment"]["date"][:10] for document in results.values())
    return f"{environment['cpu']}, {environment['threads']} threads; the results as of {latest}"


def tier_card(model_dir: str | os.PathLike, results_dir: str | os.PathLike = RESULTS_DIR) -> str:
    """The card's text for the tier in ``model_dir`` (its ``card.yaml``) against ``results_dir``."""
    model_dir = Path(model_dir)
    meta = yaml.safe_load((model_dir / "card.yaml").read_text())
    name = next(n for n, model in PRETRAINED.items() if model.folder_name == model_dir.resolve().name)
    results = load_results(Path(results_dir))
    rows = {method: label for method, label in meta["rows"].items()}
    rows.update({method: label for method, label in PEERS.items() if method not in rows})
    lines = [
        *FRONT_MATTER,
        f"# {meta['title']}",
        "",
        meta["summary"].strip(),
        "",
        "## Use",
        "",
        "```python",
        "import bgremover",
        "",
        f'model = bgremover.load_model("{name}")',
        'alpha = model.predict("photo.jpg")  # float32 H×W in [0, 1]',
        'bgremover.remove_background("photo.jpg", model=model).save("cutout.png")',
        "```",
        "",
        f"`bgremover cut photo.jpg -o cutout.png --model {name}`; in the app, the **{PRETRAINED[name].label}** model.",
        "",
        "## Results",
        "",
        f"IoU (per-photo mean, threshold 0.5, main subject) on the leaderboard's sets, measured by "
        f"`python -m bgremover_leaderboard run` ({measured_on(results)}); p95: milliseconds per photo end to end on "
        "CCP test in the same runs (compare within a column; the machine's speed varies between runs).",
        "",
        *results_table(results, rows),
        "",
        "## Made of",
        "",
        *(f"- {item.strip()}" for item in meta["made_of"]),
        "",
        "## Limitations",
        "",
        *(f"- {item.strip()}" for item in meta["limitations"]),
        "",
    ]
    return "\n".join(lines)


def write_tier_card(model_dir: str | os.PathLike, results_dir: str | os.PathLike = RESULTS_DIR) -> Path:
    path = Path(model_dir) / "README.md"
    path.write_text(tier_card(model_dir, results_dir))
    return path
