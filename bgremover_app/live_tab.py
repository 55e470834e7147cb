"""The app's Live tab: the browser's camera streams through the fast model with the background replaced."""

from __future__ import annotations

import gradio as gr

from bgremover import BadImageError
from bgremover.serve.service import CutRequest, CutService, LiveSession
from bgremover_app.components import subject_choice, user_error

LIVE_BACKGROUNDS = ["blur", "color", "greenscreen"]
FRAME_INTERVAL_S = 0.05  # how often the browser sends a frame (the model keeps up at 256² on 2 cores)
SESSION_LIMIT_S = 300  # one viewer's stream, so that one tab cannot hold the queue for ever


def build_live_tab(service: CutService, gpu=lambda fn: fn) -> None:
    """The Live tab inside the caller's ``gr.Blocks``; ``gpu`` wraps the function that runs the model
    (``spaces.GPU`` on a ZeroGPU Space)."""

    @gpu
    def live_frame(frame, background, color, subject, session):
        if frame is None:
            return None, "waiting for the camera", session
        if session is None or session.subject != subject:
            session = LiveSession(subject=subject)
        try:
            plate = CutRequest(background=background, color=color).background_spec()  # never a server path
            out = service.live_frame(frame, plate, session)
        except (BadImageError, ValueError) as err:
            raise user_error(err) from None
        return out, f"{session.fps():.1f} fps ({service.live_model_name()} model)", session

    with gr.Tab("Live"):
        gr.Markdown(
            "Your camera, with the background replaced as it streams. Press the camera's record button to start; "
            "frames are processed on this server and not stored."
        )
        with gr.Row():
            with gr.Column():
                camera = gr.Image(
                    label="Camera", sources=["webcam"], streaming=True, type="numpy", elem_id="live-camera"
                )
                background = gr.Radio(LIVE_BACKGROUNDS, value="blur", label="Background")
                color = gr.ColorPicker(value="#2a6fdb", label="Background colour", visible=False)
                subject = subject_choice()
            with gr.Column():
                output = gr.Image(label="Background replaced", type="numpy", elem_id="live-output")
                fps = gr.Textbox(label="Frames per second", interactive=False, elem_id="live-fps")
        session = gr.State(None)
        background.change(lambda b: gr.update(visible=b == "color"), background, color, api_visibility="private")
        camera.stream(
            live_frame,
            [camera, background, color, subject, session],
            [output, fps, session],
            stream_every=FRAME_INTERVAL_S,
            time_limit=SESSION_LIMIT_S,
            concurrency_limit=4,
            api_visibility="private",
        )
