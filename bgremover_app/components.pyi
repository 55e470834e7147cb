"""Gradio components that answer in the library's words."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from bgremover import BadImageError, read_image

from gradio.events import Dependency

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
                raise gr.Error(str(bad).replace(Path(payload.path).name, name)) from None
            except Exception:
                pass
            raise gr.Error(f"{name} is not an image bgremover can read ({type(err).__name__})") from None
    from typing import Callable, Literal, Sequence, Any, TYPE_CHECKING
    from gradio.blocks import Block
    if TYPE_CHECKING:
        from gradio.components import Timer
        from gradio.components.base import Component


def background_inputs_visibility(background: str) -> tuple[dict, dict]:
    """Show the colour picker only for "color" and the image upload only for "image"."""
    return gr.update(visible=background == "color"), gr.update(visible=background == "image")


def background_inputs(choices: list[str]) -> tuple[gr.Radio, gr.ColorPicker, PhotoInput]:
    """The background choice with its colour picker and image upload, each shown only when chosen
    (call inside the Blocks where they belong)."""
    background = gr.Radio(choices, value="transparent", label="Background")
    color = gr.ColorPicker(value="#ffffff", label="Background colour", visible=False)
    image = PhotoInput(label="Background image", type="filepath", sources=["upload"], visible=False)
    background.change(background_inputs_visibility, background, [color, image], api_visibility="private")
    return background, color, image