"""bgremover — Gradio Blocks app: Cut out, Video, Live, Monitor and Leaderboard.

Run ``bgremover-app`` (installed with ``pip install "bgremover[app]"``) or ``python app.py`` in a
checkout (``BGREMOVER_MODEL`` picks the model: default, fast, a folder or a Hub repo id;
``GRADIO_SERVER_PORT``/``GRADIO_SERVER_NAME`` the address). Scripts call ``/cut`` and ``/mask``::

    from gradio_client import Client, handle_file
    png_path, info = Client("http://127.0.0.1:7860/").predict(handle_file("photo.jpg"), api_name="/cut")

or, in one HTTP call, ``curl -F file=@photo.jpg http://127.0.0.1:7860/api/remove -o cutout.png``
(:mod:`bgremover_app.rest`).
"""

from __future__ import annotations

import functools
import os
import signal
import sys

import gradio as gr
from PIL import Image

from bgremover import BadImageError, load_model, settings
from bgremover.constants import DEFAULT_SUBJECT
from bgremover.hub import resolve_source
from bgremover.io import register_formats
from bgremover.pretrained import PRETRAINED
from bgremover.serve.monitor import DriftReference, Monitor
from bgremover.serve.service import DEFAULT_MODEL, CutRequest, CutService, result_summary
from bgremover_app.components import (
    AS_UPLOADED,
    PhotoInput,
    background_inputs,
    model_choice,
    subject_choice,
    upload_bytes,
    user_error,
)
from bgremover_app.live_tab import build_live_tab
from bgremover_app.monitor_tab import build_monitor_tab
from bgremover_app.rest import remove_route
from bgremover_app.showcase import EXAMPLES_DIR, PHOTO_EXAMPLES, credits_line
from bgremover_app.video_tab import build_video_tab
from bgremover_leaderboard.tab import build_leaderboard_tab

ON_ZERO_GPU = bool(os.environ.get("SPACES_ZERO_GPU"))  # set by Hugging Face on ZeroGPU hardware
try:  # ZeroGPU on Hugging Face Spaces
    import spaces

    gpu = spaces.GPU
except ImportError:

    def gpu(fn):
        return fn


BACKGROUNDS = ["transparent", "color", "image", "blur"]
IMAGE_HEIGHT = 360  # px: the photo and the results keep "Cut out" on a 1280×800 screen
# Transparent results are shown over a checkerboard, as image editors show them. The slider's two layers
# are drawn in the same box (Gradio draws the "after" layer centred and the "before" layer from the top
# when the photo is taller than the box), so that at every position the photo and its cut-out line up.
CSS = """
#cutout img, #video-result video, #before-after img {
  background-color: #fff !important;
  background-image: conic-gradient(#d8d8d8 25%, transparent 0 50%, #d8d8d8 0 75%, transparent 0) !important;
  background-size: 20px 20px !important;
}
#before-after .content img {
  width: 100% !important; height: 100% !important; max-height: none !important; object-fit: contain;
}
#before-after .content img.fixed { top: 0 !important; left: 0 !important; }
"""


def build_app(service: CutService) -> gr.Blocks:
    """The Blocks app around ``service``."""
    register_formats()  # the photo boxes decode uploads with Pillow: HEIC too, where a browser sends one

    def run(image, *options):
        """``options``: :class:`CutRequest`'s fields in order, as the UI's components give them."""
        if image is None:
            raise user_error(
                "Upload a photo first: JPEG, PNG, WebP, AVIF, GIF, BMP or TIFF. The browser does not take an"
                " iPhone's HEIC photos; cut those with `bgremover cut` or POST /api/remove."
            )
        request = CutRequest(*options)
        request.threshold, request.foreground_estimation = float(request.threshold), bool(request.foreground_estimation)
        request.background_image = upload_bytes(request.background_image)
        try:
            return service.cut(image, request)
        except (BadImageError, ValueError) as err:
            raise user_error(err) from None

    @gpu
    def cut_ui(image, *options):
        result = run(image, *options)
        before = Image.fromarray(result.rgb)
        download = service.save_png(result.output, "cutout")
        return (before, result.output), result.output, result.mask_image(), download, result_summary(result.info)

    @gpu
    def cut_api(
        image,
        flip=False,
        multiscale=False,
        refine=False,
        threshold=0.0,
        background="transparent",
        color="#ffffff",
        background_image=None,
        model=DEFAULT_MODEL,
        subject=DEFAULT_SUBJECT,
        foreground_estimation=False,
    ):
        options = (flip, multiscale, refine, threshold, background, color, background_image, model, subject)
        result = run(image, *options, foreground_estimation)
        return result.output, result.info

    def stats_api():
        summary = service.monitor.summary()
        summary["drift_scores"] = summary["drift_scores"][-50:]
        return summary

    @gpu
    def mask_api(image, flip=False, multiscale=False, refine=False, model=DEFAULT_MODEL, subject=DEFAULT_SUBJECT):
        result = run(image, flip, multiscale, refine, 0.0, "transparent", "#ffffff", None, model, subject, False)
        return result.mask_image()

    with gr.Blocks(title="bgremover", delete_cache=(600, 3600)) as demo:
        gr.Markdown("# bgremover\nPerson background removal — an Attention U-Net that runs on a laptop CPU.")
        with gr.Tab("Cut out"):
            with gr.Row():
                with gr.Column():
                    image = PhotoInput(
                        label="Photo",
                        type="filepath",
                        image_mode=AS_UPLOADED,
                        sources=["upload", "webcam", "clipboard"],
                        height=IMAGE_HEIGHT,
                        elem_id="input-image",
                    )
                    model = model_choice(service.model_names, DEFAULT_MODEL, "model-choice")
                    background, color, background_image = background_inputs(BACKGROUNDS)
                    button = gr.Button("Cut out", variant="primary", elem_id="cut-button")
                    with gr.Accordion("More options", open=False, elem_id="more-options"):
                        subject = subject_choice(elem_id="subject-choice")
                        with gr.Row():
                            flip = gr.Checkbox(label="TTA: horizontal flip", elem_id="tta-flip")
                            multiscale = gr.Checkbox(label="TTA: multi-scale (0.75/1/1.25)", elem_id="tta-multiscale")
                            refine = gr.Checkbox(label="Refine edges (guided filter)", elem_id="refine")
                        threshold = gr.Slider(0.0, 0.95, value=0.0, step=0.05, label="Hard threshold (0 = soft alpha)")
                        clean = gr.Checkbox(
                            label="Clean edge colours (takes the old background's tint out of hair; slower)",
                            elem_id="foreground-estimation",
                        )
                    gr.Examples(
                        [[str(EXAMPLES_DIR / name), people] for name, people, _ in PHOTO_EXAMPLES],
                        inputs=[image, subject],
                        example_labels=[label for _, _, label in PHOTO_EXAMPLES],
                        label="Examples",
                        elem_id="photo-examples",
                    )
                    gr.Markdown(credits_line(name for name, _, _ in PHOTO_EXAMPLES), elem_id="photo-credits")
                with gr.Column():
                    summary = gr.Markdown(elem_id="result-summary")
                    slider = gr.ImageSlider(
                        label="Before / after", format="png", type="pil", height=IMAGE_HEIGHT, elem_id="before-after"
                    )
                    download = gr.DownloadButton("Download PNG")
                    with gr.Row():
                        cutout = gr.Image(
                            label="Cut-out (PNG with alpha)",
                            format="png",
                            type="pil",
                            image_mode="RGBA",
                            height=IMAGE_HEIGHT,
                            elem_id="cutout",
                        )
                        mask = gr.Image(label="Mask", format="png", type="pil", image_mode="L", height=IMAGE_HEIGHT)
            options = [flip, multiscale, refine, threshold, background, color, background_image, model, subject, clean]
            inputs = [image, *options]
            button.click(
                cut_ui,
                inputs,
                [slider, cutout, mask, download, summary],
                api_visibility="private",
                concurrency_limit=2,
            )
            with gr.Row(visible=False):
                api_image = gr.File(label="image", type="filepath")
                api_cut, api_mask = gr.Button(), gr.Button()
                api_png = gr.Image(label="cutout", format="png", type="pil", image_mode="RGBA")
                api_mask_png = gr.Image(label="mask", format="png", type="pil", image_mode="L")
                api_info = gr.JSON(label="details")
            api_cut.click(cut_api, [api_image, *options], [api_png, api_info], api_name="cut", concurrency_limit=2)
            api_mask.click(
                mask_api,
                [api_image, flip, multiscale, refine, model, subject],
                api_mask_png,
                api_name="mask",
                concurrency_limit=2,
            )
        build_video_tab(service, gpu)
        build_live_tab(service, gpu)
        refresh_monitor, monitor_outputs = build_monitor_tab(service.monitor)
        build_leaderboard_tab()
        with gr.Row(visible=False):
            stats_button, stats_json = gr.Button(), gr.JSON(label="statistics")
        stats_button.click(stats_api, None, stats_json, api_name="stats")
        demo.load(refresh_monitor, None, monitor_outputs, api_visibility="private", show_progress="hidden")
    return demo


def main() -> None:
    source = settings.model()
    folder = resolve_source(source)
    reference = DriftReference.load(folder) if os.path.isdir(folder) else None
    others = [name for name, model in PRETRAINED.items() if model.installed and name not in (source, DEFAULT_MODEL)]
    extra = {name: functools.partial(load_model, name) for name in others}  # the best tier's peer: at its first use
    on_demand = frozenset(name for name in others if PRETRAINED[name].on_demand)
    service = CutService(load_model(source), monitor=Monitor(reference), extra_models=extra, on_demand=on_demand)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a stopped server removes its users' cut-outs (atexit)
    demo = build_app(service)
    service.warm_up(forward=not ON_ZERO_GPU)  # in the background: the page is served at once
    routes = [remove_route(service)]  # POST /api/remove: one call from curl or any HTTP client
    demo.queue(max_size=64, default_concurrency_limit=2).launch(show_error=True, css=CSS, app_kwargs={"routes": routes})


if __name__ == "__main__":
    main()
