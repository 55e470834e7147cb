"""The app's Leaderboard tab: reads the committed results, recomputes no number."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np
import plotly.graph_objects as go

from bgremover import settings
from bgremover_leaderboard.paired import difference_cells, paired_differences
from bgremover_leaderboard.report import ALL_METRICS, LOWER_IS_BETTER, load_results, rows

HEADLINE = ("iou", "dice", "ssim", "lpips")
WORST_COUNT = 6
BASELINE = "mediapipe_selfie"  # the free model a user would otherwise pick: every method is compared with it
PAIRED_HEADERS = ["method", "photos", "better / worse", "mean difference (standard error)", "median difference"]
MIN_FRAMING_PHOTOS = 20  # a framing gets its own photo-by-photo table from this many photos


OURS_COLOUR, PEER_COLOUR = "#e8590c", "#868e96"


def _colour(result: dict) -> str:
    return OURS_COLOUR if result["kind"] == "ours" else PEER_COLOUR


def data_range(values: list[float], pad: float = 0.08) -> list[float]:
    """An axis range around ``values`` (not 0–1), so that small differences are visible.

    Example:
        >>> [round(v, 3) for v in data_range([0.90, 0.95])]
        [0.896, 0.954]
    """
    low, high = min(values), max(values)
    margin = max(high - low, 1e-3) * pad
    return [low - margin, high + margin]


def bar_chart(document: dict, metric: str) -> go.Figure:
    """Horizontal bars, best at the top, method names readable on the left, axis scaled to the data."""
    results = [r for r in document["results"].values() if r["available"]]
    results.sort(key=lambda r: r["mean"][metric], reverse=metric in LOWER_IS_BETTER)
    values = [r["mean"][metric] for r in results]
    figure = go.Figure(
        go.Bar(
            y=[r["method"] for r in results],
            x=values,
            orientation="h",
            marker_color=[_colour(r) for r in results],
            text=[f"{v:.3f}" for v in values],
            textposition="outside",
            hovertemplate="%{y}: %{x:.4f}<extra></extra>",
        )
    )
    arrow = "lower is better" if metric in LOWER_IS_BETTER else "higher is better"
    low, high = data_range(values)
    figure.update_layout(
        title=f"{metric} ({arrow})",
        height=max(260, 26 * len(results) + 80),
        margin={"t": 40, "b": 30, "l": 10, "r": 10},
        xaxis={"range": [low, high + (high - low) * 0.15]},  # room for the value labels
        yaxis={"automargin": True},
    )
    return figure


def latency_scatter(document: dict) -> go.Figure:
    """IoU against p95 latency: one trace per method (legend on the side, names on hover), no labels
    drawn over each other."""
    results = [r for r in document["results"].values() if r["available"]]
    figure = go.Figure()
    for result in sorted(results, key=lambda r: -r["mean"]["iou"]):
        figure.add_trace(
            go.Scatter(
                x=[result["latency_ms"]["p95"]],
                y=[result["mean"]["iou"]],
                name=result["method"],
                mode="markers",
                marker={
                    "size": 12,
                    "color": _colour(result),
                    "symbol": "diamond" if result["kind"] == "ours" else "circle",
                },
                hovertemplate=f"{result['method']}<br>IoU %{{y:.4f}}<br>p95 %{{x:.1f}} ms<extra></extra>",
            )
        )
    figure.update_layout(
        title="IoU vs p95 latency (up and to the left is better)",
        xaxis_title="p95 latency per image (ms, log scale)",
        xaxis_type="log",
        yaxis_title="IoU",
        yaxis={"range": data_range([r["mean"]["iou"] for r in results])},
        height=420,
        legend={"font": {"size": 11}},
    )
    return figure


def environment_line(environment: dict) -> str:
    """The measuring machine in one line.

    Example:
        >>> environment_line({"cpu": "AMD EPYC", "threads": 2, "date": "2026-12-01T17:29:07+00:00",
        ...                   "packages": {"torch": "2.14.1", "bgremover": "0.1.0"}})
        'Measured on AMD EPYC, 2 threads, 2026-12-01 (torch 2.14.1, bgremover 0.1.0).'
    """
    packages = environment.get("packages", {})
    versions = ", ".join(f"{name} {packages[name]}" for name in ("torch", "bgremover") if name in packages)
    return (
        f"Measured on {environment.get('cpu', '?')}, {environment.get('threads', '?')} threads, "
        f"{str(environment.get('date', '?'))[:10]}" + (f" ({versions})." if versions else ".")
    )


def worst_cases(document: dict, method: str = "ours") -> list[list]:
    """The ``WORST_COUNT`` lowest-IoU images of ``method``: [stem, IoU, boundary F]."""
    result = document["results"].get(method)
    if not result or not result["available"]:
        return []
    ranked = sorted(result["per_image"].items(), key=lambda item: item[1]["iou"])[:WORST_COUNT]
    return [[stem, round(m["iou"], 4), round(m["boundary_f"], 4)] for stem, m in ranked]


def render_worst(dataset: str, stems: list[str], data_dir: str | None) -> list[tuple[np.ndarray, str]]:
    """Image | ground truth | prediction strips for ``stems`` (needs the data folder)."""
    from bgremover import load_model
    from bgremover.io import read_image, read_mask
    from bgremover_leaderboard.datasets import benchmarks

    if not data_dir or not Path(data_dir).is_dir():
        raise gr.Error("the benchmark data folder is not available here (set BGREMOVER_DATA_DIR)")
    pairs = {image.stem: (image, mask) for image, mask in benchmarks(data_dir)[dataset].pairs}
    segmenter = load_model()
    gallery = []
    for stem in stems:
        rgb, gt = read_image(pairs[stem][0]), read_mask(pairs[stem][1])
        alpha = segmenter.predict(rgb)
        panels = [
            rgb,
            np.repeat((gt[..., None] * 255).astype(np.uint8), 3, -1),
            np.repeat((alpha[..., None] * 255).astype(np.uint8), 3, -1),
        ]
        from bgremover.metrics import iou

        gallery.append((np.concatenate(panels, axis=1), f"{stem}: IoU {iou(alpha, gt):.3f} (image | truth | ours)"))
    return gallery


def paired_rows(document: dict, framing: str | None = None, baseline: str = BASELINE) -> list[list]:
    """IoU photo by photo against ``baseline`` (:func:`bgremover_leaderboard.paired.paired_differences`) as
    table rows; none where the baseline has no results on the set."""
    if not document["results"].get(baseline, {}).get("available"):
        return []
    compared = paired_differences(document, baseline, framing)
    return [[row["method"], row["photos"], *difference_cells(row)] for row in compared]


def build_leaderboard_tab(results_dir: Path | None = None) -> None:
    """Add the "Leaderboard" tab to the current Blocks."""
    with gr.Tab("Leaderboard", elem_id="leaderboard-tab"):
        try:
            documents = load_results(results_dir) if results_dir else load_results()
        except (OSError, ValueError) as err:
            gr.Markdown(f"No valid committed results: {err}")
            return
        if not documents:
            gr.Markdown(
                "No results committed yet: run `python -m bgremover_leaderboard run --data-dir ../shared/data`."
            )
            return
        gr.Markdown(
            "Every number below was measured by `python -m bgremover_leaderboard run` on the machine described at the "
            "bottom of each dataset; click a column header to sort. Methods that could not run say why."
        )
        data_dir = settings.data_dir()
        for name, document in documents.items():
            with gr.Accordion(
                f"{name} — {document['images']} images: {document.get('description', '')}", open=name == "ccp_test"
            ):
                headers = ["method", *HEADLINE, "p50 ms", "p95 ms"]
                gr.Dataframe(
                    rows(document, HEADLINE), headers=headers, interactive=False, elem_classes=["leaderboard-table"]
                )
                with gr.Accordion("All metrics", open=False):
                    gr.Dataframe(
                        rows(document, ALL_METRICS),
                        headers=["method", *ALL_METRICS, "p50 ms", "p95 ms"],
                        interactive=False,
                    )
                with gr.Row():
                    for metric in HEADLINE[:2]:
                        gr.Plot(bar_chart(document, metric))
                with gr.Row():
                    for metric in HEADLINE[2:]:
                        gr.Plot(bar_chart(document, metric))
                gr.Plot(latency_scatter(document))
                framings = list(document.get("framing", {}).values())
                large = sorted({f for f in framings if framings.count(f) >= MIN_FRAMING_PHOTOS})
                for framing in [None, *(large if len(large) > 1 else [])]:  # per framing where a set mixes them
                    paired = paired_rows(document, framing)
                    if not paired:
                        continue
                    gr.Markdown(
                        f"**Photo by photo against MediaPipe Selfie**{f', {framing} photos only' if framing else ''}: "
                        "the photos where each method's IoU is higher / lower, and the mean difference with its "
                        "bootstrap standard error (a gap within about two standard errors is one these photos "
                        "cannot tell)"
                    )
                    gr.Dataframe(paired, headers=PAIRED_HEADERS, interactive=False, elem_classes=["leaderboard-paired"])
                worst = worst_cases(document)
                if worst:
                    gr.Markdown("**Worst cases of our default model** (lowest IoU first)")
                    gr.Dataframe(worst, headers=["image", "IoU", "boundary F"], interactive=False)
                    if data_dir and Path(data_dir).is_dir():
                        gallery = gr.Gallery(label="worst cases", columns=2, height=420, format="png")
                        show = gr.Button("Show these images: photo | ground truth | our mask", size="sm")
                        stems = [row[0] for row in worst]
                        show.click(
                            lambda n=name, s=stems: render_worst(n, s, data_dir),
                            None,
                            gallery,
                            api_visibility="private",
                        )
                    else:
                        gr.Markdown(
                            "The photos are in the benchmark data folder (research licences; not shipped with "
                            "the app): set `BGREMOVER_DATA_DIR` to it to see them here."
                        )
                gr.Markdown(environment_line(document["environment"]), elem_classes=["leaderboard-environment"])
