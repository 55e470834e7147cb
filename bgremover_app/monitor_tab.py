"""The app's Monitor tab: live latency, throughput, drift chart and recent anomalies."""

from __future__ import annotations

import datetime

import gradio as gr
import plotly.graph_objects as go

from bgremover.serve.monitor import Monitor


def drift_figure(summary: dict, threshold: float) -> go.Figure:
    points = summary["drift_scores"]
    figure = go.Figure()
    if points:
        figure.add_trace(
            go.Scatter(
                x=[datetime.datetime.fromtimestamp(t) for t, _ in points],
                y=[d for _, d in points],
                mode="lines+markers",
                name="drift score",
            )
        )
    figure.add_hline(y=threshold, line_dash="dash", line_color="red", annotation_text="alert threshold")
    figure.update_layout(
        title="per-request input drift (mean |z| vs training images)", height=320, yaxis_title="drift score"
    )
    return figure


def status_markdown(summary: dict) -> str:
    lat = summary["latency_ms"]
    fmt = lambda v: "—" if v is None else f"{v:.0f} ms"  # noqa: E731
    throughput = summary["throughput_per_s"]
    drift = summary["drift"]
    drift_text = (
        "not enough requests yet"
        if drift is None
        else f"{'**ALERT**' if drift['alert'] else 'ok'} (KS min p = {min(drift['p_values'].values()):.3g}, "
        f"window {drift['window']})"
    )
    return (
        f"**Requests** {summary['requests']} (errors {summary['errors']}) · **latency** p50 {fmt(lat['p50'])}, "
        f"p95 {fmt(lat['p95'])}, p99 {fmt(lat['p99'])} · **throughput** "
        f"{'—' if throughput is None else f'{throughput:.2f}/s'} · **RSS** {summary['rss_mb']:.0f} MB · "
        f"**drift test** {drift_text}"
    )


def anomaly_rows(summary: dict) -> list[list]:
    return [
        [datetime.datetime.fromtimestamp(a["time"]).strftime("%H:%M:%S"), "; ".join(a["anomalies"]), a["quality"]]
        for a in reversed(summary["recent_anomalies"])
    ]


def build_monitor_tab(monitor: Monitor):
    """Add the "Monitor" tab (refreshes every 5 s) to the current Blocks; returns its refresh function and
    outputs, for the page's load event to fill it at once."""
    with gr.Tab("Monitor"):

        def refresh():
            summary = monitor.summary()
            return status_markdown(summary), drift_figure(summary, monitor.drift_threshold), anomaly_rows(summary)

        gr.Markdown(
            "This server's requests: latency, errors, memory, and whether the photos people send still look "
            "like the ones the model was trained on (a drift test against the model's reference statistics). "
            "Refreshed every 5 s."
        )
        status = gr.Markdown(elem_id="monitor-status")
        chart = gr.Plot()
        anomalies = gr.Dataframe(headers=["time", "anomalies", "quality"], interactive=False, label="recent anomalies")
        timer = gr.Timer(5.0)
        timer.tick(refresh, None, [status, chart, anomalies], api_visibility="private", show_progress="hidden")
        return refresh, [status, chart, anomalies]
