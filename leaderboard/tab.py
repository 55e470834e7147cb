"""The app's Leaderboard tab (reads committed results; recomputes nothing)."""

from __future__ import annotations

import gradio as gr


def build_leaderboard_tab() -> None:
    with gr.Tab("Leaderboard"):
        gr.Markdown("Leaderboard results will appear here.")
