"""The app's Video tab and its ``/cut_video`` API endpoint: upload a clip, download the cut-out."""

from __future__ import annotations

import gradio as gr

from bgremover import BadImageError, BadVideoError, settings
from bgremover.constants import DEFAULT_SUBJECT
from bgremover.serve.service import MATTE, CutRequest, CutService
from bgremover_app.components import background_inputs, model_choice, subject_choice, upload_bytes, user_error
from bgremover_app.showcase import EXAMPLES_DIR, VIDEO_EXAMPLE, credits_line

VIDEO_BACKGROUNDS = ["transparent", "color", "image", "blur", "greenscreen", (f"alpha {MATTE}", MATTE)]
FORMAT_LABELS = [
    ("WebM — VP9, transparent where the background is", "webm"),
    ("MP4 — H.264 (green screen when transparent)", "mp4"),
    ("MOV — ProRes 4444 with alpha, for editors", "mov"),
    ("ZIP of PNG frames", "zip"),
]
PREVIEWABLE = (".webm", ".mp4")  # what a browser plays in the result player
PROGRESS = gr.Progress()  # Gradio fills in a per-request tracker where a handler declares it as a default


def build_video_tab(service: CutService, gpu=lambda fn: fn) -> None:
    """The Video tab inside the caller's ``gr.Blocks``."""
    live_default = service.live_model_name()

    def run(video, background, color, background_image, model, subject, stabilize, output_format, progress):
        if not video:
            raise user_error("Upload a video first.")
        request = CutRequest(
            background=background,
            color=color,
            background_image=upload_bytes(background_image),
            model=model,
            subject=subject,
        )

        def report(done: int, total: int | None) -> None:
            progress((done, max(total or done, done)), desc="Cutting frames", unit="frames")

        try:
            return service.cut_video(video, request, output_format, bool(stabilize), report)
        except (BadVideoError, BadImageError, ValueError) as err:
            raise user_error(err) from None

    @gpu
    def cut_video_ui(
        video, background, color, background_image, model, subject, stabilize, output_format, progress=PROGRESS
    ):
        path, info = run(video, background, color, background_image, model, subject, stabilize, output_format, progress)
        preview = str(path) if path.suffix in PREVIEWABLE else None
        return preview, str(path), info

    @gpu
    def cut_video_api(
        video,
        background="transparent",
        color="#ffffff",
        background_image=None,
        model=live_default,
        subject=DEFAULT_SUBJECT,
        stabilize=True,
        output_format="webm",
        progress=PROGRESS,
    ):
        path, info = run(video, background, color, background_image, model, subject, stabilize, output_format, progress)
        return str(path), info

    with gr.Tab("Video"):
        gr.Markdown(
            f"Cut the people out of a clip: clips up to {settings.video_max_seconds():g} s and "
            f"{settings.video_max_bytes() / 2**20:.0f} MiB. The fast model runs at real-time rates on a laptop CPU; "
            "stabilisation steadies the edges from frame to frame."
        )
        with gr.Row():
            with gr.Column():
                video = gr.Video(label="Clip", sources=["upload"], elem_id="input-video")
                clip_models = [name for name in service.model_names if name not in service.on_demand]  # frame rates
                model = model_choice(clip_models, live_default, "video-model")
                background, color, background_image = background_inputs(VIDEO_BACKGROUNDS)
                output_format = gr.Dropdown(FORMAT_LABELS, value="webm", label="Output format")
                with gr.Row():
                    subject = subject_choice()
                    stabilize = gr.Checkbox(value=True, label="Stabilise edges across frames")
                button = gr.Button("Cut out video", variant="primary", elem_id="cut-video-button")
                gr.Examples(
                    [[str(EXAMPLES_DIR / VIDEO_EXAMPLE)]], inputs=video, label="Example", elem_id="video-examples"
                )
                gr.Markdown(credits_line([VIDEO_EXAMPLE]), elem_id="video-credits")
            with gr.Column():
                result = gr.Video(label="Result", interactive=False, elem_id="video-result")
                download = gr.File(label="Download", elem_id="video-download")
                info = gr.JSON(label="Details")
        options = [background, color, background_image, model, subject, stabilize, output_format]
        button.click(
            cut_video_ui, [video, *options], [result, download, info], api_visibility="private", concurrency_limit=1
        )
        with gr.Row(visible=False):
            api_video = gr.File(label="video", type="filepath")
            api_button = gr.Button()
            api_output = gr.File(label="cut-out video")
            api_info = gr.JSON(label="details")
        api_button.click(
            cut_video_api, [api_video, *options], [api_output, api_info], api_name="cut_video", concurrency_limit=1
        )
