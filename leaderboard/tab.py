"""The app's Leaderboard tab: reads the committed results, recomputes no number."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np
import plotly.graph_objects as go

from bgremover import settings
from leaderboard.report import ALL_METRICS, LOWER_IS_BETTER, load_results, rows

HEADLINE = ("iou", "dice", "ssim", "lpips")
WORST_COUNT = 6


def bar_chart(document: dict, metric: str) -> go.Figure:
    results = [r for r in document["results"].values() if r["available"]]
    results.sort(key=lambda r: r["mean"][metric], reverse=metric not in LOWER_IS_BETTER)
    figure = go.Figure(
        go.Bar(
            x=[r["method"] for r in results],
            y=[r["mean"][metric] for r in results],
            error_y={"type": "data", "array": [r["std"][metric] for r in results], "visible": True},
            marker_color=["#e8590c" if r["kind"] == "ours" else "#868e96" for r in results],
        )
    )
    arrow = "lower is better" if metric in LOWER_IS_BETTER else "higher is better"
    figure.update_layout(title=f"{metric} ({arrow})", height=320, margin={"t": 40, "b": 90})
    return figure


def latency_scatter(document: dict) -> go.Figure:
    results = [r for r in document["results"].values() if r["available"]]
    figure = go.Figure(
        go.Scatter(
            x=[r["latency_ms"]["p95"] for r in results],
            y=[r["mean"]["iou"] for r in results],
            text=[r["method"] for r in results],
            mode="markers+text",
            textposition="top center",
            marker={"size": 11, "color": ["#e8590c" if r["kind"] == "ours" else "#868e96" for r in results]},
        )
    )
    figure.update_layout(
        title="IoU vs p95 latency (2 CPU threads)",
        xaxis_title="p95 latency (ms, log)",
        xaxis_type="log",
        yaxis_title="IoU",
        height=380,
    )
    return figure


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
    from leaderboard.datasets import benchmarks

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


def build_leaderboard_tab(results_dir: Path | None = None) -> None:
    """Add the "Leaderboard" tab to the current Blocks."""
    with gr.Tab("Leaderboard", elem_id="leaderboard-tab"):
        try:
            documents = load_results(results_dir) if results_dir else load_results()
        except (OSError, ValueError) as err:
            gr.Markdown(f"No valid committed results: {err}")
            return
        if not documents:
            gr.Markdown("No results committed yet: run `python -m leaderboard run --data-dir ../shared/data`.")
            return
        gr.Markdown(
            "Every number below was measured by `python -m leaderboard run` on the machine described at the "
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
                    for metric in HEADLINE:
                        gr.Plot(bar_chart(document, metric))
                gr.Plot(latency_scatter(document))
                worst = worst_cases(document)
                if worst:
                    gr.Markdown("**Worst cases of our default model** (lowest IoU first)")
                    gr.Dataframe(worst, headers=["image", "IoU", "boundary F"], interactive=False)
                    gallery = gr.Gallery(label="worst cases", columns=2, height=420, format="png")
                    show = gr.Button("Show these images (needs the benchmark data folder)", size="sm")
                    stems = [row[0] for row in worst]
                    show.click(
                        lambda n=name, s=stems: render_worst(n, s, data_dir), None, gallery, api_visibility="private"
                    )
                gr.JSON(document["environment"], label="environment")
