"""Gradio components that answer in the library's words."""

from __future__ import annotations

import html
from pathlib import Path

import gradio as gr

from bgremover import BadImageError, read_image
from bgremover.constants import DEFAULT_SUBJECT
from bgremover.hub import run_config
from bgremover.pretrained import PRETRAINED

AS_UPLOADED = None  # a photo box's image_mode: the upload reaches the library as the file it is (Gradio's
# default "RGB" re-saves it through Pillow first, which turns a 16-bit grey PNG white)
SUBJECT_CHOICES = [("Everyone", "all"), ("Main subject only", "main")]


def model_label(name: str) -> str:
    """What the model radios call a model: a shipped one by its registry label, its working size (a tier
    with weights of its own) and note (``Fast (256 px, real-time)``), any other model by its name."""
    if name not in PRETRAINED:
        return name
    model = PRETRAINED[name]
    details = [] if model.fused else [f"{run_config(name).working_size} px"]
    details += [model.note] if model.note else []
    return f"{model.label} ({', '.join(details)})"


def model_choice(names: list[str], value: str, elem_id: str) -> gr.Radio:
    """The model radio of a tab (hidden when the service has one model)."""
    return gr.Radio(
        [(model_label(name), name) for name in names],
        value=value,
        label="Model",
        visible=len(names) > 1,
        elem_id=elem_id,
    )


def subject_choice(**kwargs) -> gr.Radio:
    """Everyone, or only the main subject(s) (:mod:`bgremover.subjects`)."""
    return gr.Radio(SUBJECT_CHOICES, value=DEFAULT_SUBJECT, label="People", **kwargs)


def user_error(message: object) -> gr.Error:
    """A toast with ``message`` shown as text: Gradio renders a toast's message as HTML, and a
    message may quote an upload's file name (``<img src=x onerror=...>.png``). Not written to the
    server's log with a traceback: an ordinary bad upload is not an incident."""
    return gr.Error(html.escape(str(message), quote=False), print_exception=False)  # a user's mistake, not a bug


def upload_bytes(path: str | None) -> bytes | None:
    """The bytes of a file the browser or ``gradio_client`` uploaded (Gradio hands the handler a path in
    its own upload cache, after refusing any path outside it), so the library never sees a path a
    client chose."""
    return None if not path else Path(path).read_bytes()


class PhotoInput(gr.Image):
    """``gr.Image`` whose unreadable uploads (a text file named .jpg, a truncated photo) raise the
    library's :class:`~bgremover.BadImageError` message instead of Gradio's preprocessing traceback."""

    is_template = True  # the browser draws it as the ordinary Image component

    def preprocess(self, payload):
        try:
            return super().preprocess(payload)
        except Exception as err:
            name = getattr(payload, "orig_name", None) or Path(getattr(payload, "path", "") or "the upload").name
            try:
                read_image(payload.path)
            except BadImageError as bad:
                raise user_error(str(bad).replace(Path(payload.path).name, name)) from None
            except Exception:
                pass
            raise user_error(f"{name} is not an image bgremover can read ({type(err).__name__})") from None


def background_inputs_visibility(background: str) -> tuple[dict, dict]:
    """Show the colour picker only for "color" and the image upload only for "image"."""
    return gr.update(visible=background == "color"), gr.update(visible=background == "image")


def background_inputs(choices: list[str]) -> tuple[gr.Radio, gr.ColorPicker, PhotoInput]:
    """The background choice with its colour picker and image upload, each shown only when chosen
    (call inside the Blocks where they belong)."""
    background = gr.Radio(choices, value="transparent", label="Background")
    color = gr.ColorPicker(value="#ffffff", label="Background colour", visible=False)
    image = PhotoInput(
        label="Background image", type="filepath", image_mode=AS_UPLOADED, sources=["upload"], visible=False
    )
    background.change(background_inputs_visibility, background, [color, image], api_visibility="private")
    return background, color, image
