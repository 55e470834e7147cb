"""One-call HTTP endpoint for scripts and ``curl``: post a photo, get the PNG back (as rembg's server does).

    curl -F file=@photo.jpg http://127.0.0.1:7860/api/remove -o cutout.png
    curl -F file=@photo.jpg "http://127.0.0.1:7860/api/remove?model=fast&background=blur" -o blurred.png
    curl -F file=@photo.jpg -F background_image=@beach.jpg http://127.0.0.1:7860/api/remove -o beach.png
    curl -F file=@photo.jpg "http://127.0.0.1:7860/api/remove?mask=true" -o mask.png

Query options: ``model`` (default | fast), ``background`` (transparent | blur | greenscreen | a colour:
``white``, ``#00ff00``), ``subject`` (main | all), ``mask`` (the alpha as a grey PNG instead of the
cut-out), ``tta``, ``multiscale``, ``refine``, ``threshold`` (0 keeps the soft alpha),
``foreground_estimation`` (take the old background's colour out of the edges). A bad photo or option answers
400 (a file over the size limit 413) with ``{"error": "..."}`` in the library's words; the response's
``X-Bgremover-*`` headers carry the latency, size and model.
"""

from __future__ import annotations

import io
import threading
from typing import Annotated

from fastapi import File, UploadFile
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from bgremover import BadBackgroundError, BadImageError, settings
from bgremover.compose import parse_color
from bgremover.constants import DEFAULT_SUBJECT
from bgremover.serve.service import DEFAULT_MODEL, CutRequest, CutService

PLAIN_BACKGROUNDS = ("transparent", "blur", "greenscreen")  # every other value is parsed as a colour
FLAGS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


class TooLarge(ValueError):
    """An upload over ``BGREMOVER_MAX_BYTES`` (answered 413)."""


def _read_upload(upload: UploadFile, what: str) -> bytes:
    """The upload's bytes, refused past the size limit without reading the rest."""
    limit = settings.max_bytes()
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"{upload.filename or what} is larger than the limit of {limit:,} bytes")
    return data


def _flag(name: str, value: str) -> bool:
    if value.lower() not in FLAGS:
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return FLAGS[value.lower()]


def _threshold(value: str) -> float:
    try:
        threshold = float(value)
    except ValueError:
        threshold = -1.0
    if not 0.0 <= threshold < 1.0:
        raise ValueError(f"threshold must be a number in [0, 1) (0 keeps the soft alpha), got {value!r}")
    return threshold


def _request(query: dict[str, str], background_image: bytes | None) -> CutRequest:
    """The :class:`CutRequest` that the query's options ask for."""
    request = CutRequest(
        flip=_flag("tta", query["tta"]),
        multiscale=_flag("multiscale", query["multiscale"]),
        refine=_flag("refine", query["refine"]),
        threshold=_threshold(query["threshold"]),
        foreground_estimation=_flag("foreground_estimation", query["foreground_estimation"]),
        model=query["model"],
        subject=query["subject"],
    )
    if background_image is not None:
        request.background, request.background_image = "image", background_image
    elif query["background"] in PLAIN_BACKGROUNDS:
        request.background = query["background"]
    else:
        try:  # a colour, parsed as one: a network client never names a file on the server
            parse_color(query["background"])
        except BadBackgroundError as err:
            raise BadBackgroundError(
                f"background must be transparent, blur, greenscreen or a colour; {err}"
                " (a background photo is sent as the form field 'background_image')"
            ) from None
        request.background, request.color = "color", query["background"]
    return request


def remove_route(service: CutService, concurrency: int = 2) -> APIRoute:
    """``POST /api/remove`` on ``service`` (at most ``concurrency`` photos at a time, as the app's
    queue allows), for ``launch(app_kwargs={"routes": [...]})``."""
    slots = threading.BoundedSemaphore(concurrency)

    def remove(
        file: Annotated[UploadFile | None, File(description="the photo")] = None,
        background_image: Annotated[UploadFile | None, File(description="a photo to put behind the person")] = None,
        model: str = DEFAULT_MODEL,
        background: str = "transparent",
        subject: str = DEFAULT_SUBJECT,
        mask: str = "false",
        tta: str = "false",
        multiscale: str = "false",
        refine: str = "false",
        threshold: str = "0",
        foreground_estimation: str = "false",
    ) -> Response:
        query = dict(
            model=model,
            background=background,
            subject=subject,
            tta=tta,
            multiscale=multiscale,
            refine=refine,
            threshold=threshold,
            foreground_estimation=foreground_estimation,
        )
        try:
            if file is None:
                raise ValueError("send the photo as the multipart form field 'file' (curl -F file=@photo.jpg ...)")
            photo = _read_upload(file, "the photo")
            backdrop = None if background_image is None else _read_upload(background_image, "the background")
            request, want_mask = _request(query, backdrop), _flag("mask", mask)
            with slots:
                try:
                    result = service.cut(photo, request)
                except BadImageError as err:
                    raise BadImageError(f"{file.filename or 'the photo'}: {err}") from None
        except TooLarge as err:
            service.monitor.record_error()
            return JSONResponse({"error": str(err)}, status_code=413)
        except ValueError as err:
            return JSONResponse({"error": str(err)}, status_code=400)
        png = io.BytesIO()
        (result.mask_image() if want_mask else result.output).save(png, format="PNG")
        headers = {
            "X-Bgremover-Latency-Ms": str(result.info["latency_ms"]),
            "X-Bgremover-Size": f"{result.info['width']}x{result.info['height']}",
            "X-Bgremover-Model": result.info["model"],
        }
        return Response(png.getvalue(), media_type="image/png", headers=headers)

    return APIRoute("/api/remove", remove, methods=["POST"], summary="Remove the background of one photo")
