"""One-call HTTP endpoint for scripts and ``curl``: post a photo, get the PNG back (as rembg's server does).

    curl -F file=@photo.jpg http://127.0.0.1:7860/api/remove -o cutout.png
    curl -F file=@photo.jpg "http://127.0.0.1:7860/api/remove?model=fast&background=blur" -o blurred.png
    curl -F file=@photo.jpg -F background_image=@beach.jpg http://127.0.0.1:7860/api/remove -o beach.png
    curl -F file=@photo.jpg "http://127.0.0.1:7860/api/remove?mask=true" -o mask.png

Query options: ``model`` (default | fast), ``background`` (transparent | blur | greenscreen | a colour:
``white``, ``#00ff00``), ``subject`` (main | all), ``mask`` (the alpha as a grey PNG instead of the
cut-out), ``tta``, ``multiscale``, ``refine``, ``threshold`` (0 keeps the soft alpha),
``foreground_estimation`` (take the old background's colour out of the edges). A bad photo or option answers
400 (a file over the size limit 413, refused from its declared length before the body is read; a full
queue 503 with ``Retry-After``) with ``{"error": "..."}`` in the library's words; the response's
``X-Bgremover-*`` headers carry the latency, size and model.

The handler is a coroutine: a request waits for one of the endpoint's slots on the event loop, not in a
worker thread, so a flood of calls never holds the threads that serve the page, ``/config`` and the
Gradio queue; at most ``max_waiting`` calls wait, and the next is answered 503 at once.
"""

from __future__ import annotations

import asyncio
import io
import logging

from anyio import to_thread
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.datastructures import UploadFile

from bgremover import BadBackgroundError, BadImageError, settings
from bgremover.compose import parse_color
from bgremover.constants import DEFAULT_SUBJECT, PNG_OPTIONS
from bgremover.options import CutOptions, parse_flag
from bgremover.serve.service import DEFAULT_MODEL, CutRequest, CutService

PLAIN_BACKGROUNDS = ("transparent", "blur", "greenscreen")  # every other value is parsed as a colour


class TooLarge(ValueError):
    """An upload over ``BGREMOVER_MAX_BYTES`` (answered 413)."""


FIELDS = ("file", "background_image")  # the multipart form's fields
DEFAULTS = dict(
    model=DEFAULT_MODEL,
    background="transparent",
    subject=DEFAULT_SUBJECT,
    mask="false",
    tta="false",
    multiscale="false",
    refine="false",
    threshold="0",
    foreground_estimation="false",
    upsample="",  # the model's own
)
OPTIONS = tuple(DEFAULTS)
FORM_OVERHEAD = 1 << 16  # multipart headers and boundaries beside two files' bytes
RETRY_AFTER_S = 2
log = logging.getLogger(__name__)


class Busy(RuntimeError):
    """Every slot taken and the waiting line full (answered 503 with ``Retry-After``)."""


async def _read_upload(upload, what: str) -> bytes:
    """The upload's bytes, refused past the size limit without reading the rest; a form field that
    holds text instead of a file is refused by name."""
    if not isinstance(upload, UploadFile):
        raise ValueError(f"send {what} as a file in the form field (curl -F field=@photo.jpg), not as text")
    limit = settings.max_bytes()
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"{upload.filename or what} is larger than the limit of {limit:,} bytes")
    return data


def _check_length(request: Request) -> None:
    """413 from the declared length, before a byte of the body is read."""
    limit = settings.max_bytes()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > 2 * limit + FORM_OVERHEAD:
        raise TooLarge(f"the request is {int(declared):,} bytes; a photo may be at most {limit:,} bytes")


def _check_query(request: Request) -> dict[str, str]:
    unknown = sorted(set(request.query_params) - set(OPTIONS))
    if unknown:
        raise ValueError(f"unknown option {unknown[0]!r}: the options are {', '.join(OPTIONS)}")
    return {**DEFAULTS, **{k: request.query_params[k] for k in OPTIONS if k in request.query_params}}


def _request(query: dict[str, str], background_image: bytes | None) -> CutRequest:
    """The :class:`CutRequest` that the query's options ask for."""
    options = CutOptions.from_text(query)  # checked as the library checks them
    request = CutRequest(
        flip=options.tta,
        multiscale=options.multiscale,
        refine=options.refine,
        threshold=options.threshold or 0.0,
        foreground_estimation=options.foreground_estimation,
        model=query["model"],
        subject=options.subject,
        upsample=options.upsample or "",
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


class Slots:
    """At most ``concurrency`` cuts at a time and ``max_waiting`` calls waiting for one, on the event loop."""

    def __init__(self, concurrency: int, max_waiting: int):
        self.concurrency, self.max_waiting = concurrency, max_waiting
        self.running = self.waiting = 0
        self._semaphore: asyncio.Semaphore | None = None

    async def __aenter__(self) -> None:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.concurrency)
        if self._semaphore.locked() and self.waiting >= self.max_waiting:
            raise Busy(f"the server is busy ({self.running} photos being cut, {self.waiting} waiting); retry shortly")
        self.waiting += 1
        try:
            await self._semaphore.acquire()
        finally:
            self.waiting -= 1
        self.running += 1

    async def __aexit__(self, *exc) -> None:
        self.running -= 1
        self._semaphore.release()


def remove_route(service: CutService, concurrency: int = 2, max_waiting: int = 16) -> APIRoute:
    """``POST /api/remove`` on ``service`` (at most ``concurrency`` photos at a time, as the app's
    queue allows, and ``max_waiting`` calls waiting), for ``launch(app_kwargs={"routes": [...]})``."""
    slots = Slots(concurrency, max_waiting)

    async def remove(request: Request) -> Response:
        """Remove the background of one photo: the multipart field ``file`` (and optionally
        ``background_image``); options in the query (see the module's docstring)."""
        try:
            _check_length(request)
            query = _check_query(request)
            form = await request.form()
            extra = sorted(set(form) - set(FIELDS))
            if extra:
                raise ValueError(f"unknown form field {extra[0]!r}: send 'file' and optionally 'background_image'")
            if form.get("file") is None:
                raise ValueError("send the photo as the multipart form field 'file' (curl -F file=@photo.jpg ...)")
            upload = form["file"]
            photo = await _read_upload(upload, "the photo")
            backdrop = form.get("background_image")
            backdrop = None if backdrop is None else await _read_upload(backdrop, "the background image")
            cut, want_mask = _request(query, backdrop), parse_flag("mask", query["mask"])
            async with slots:
                try:
                    result = await to_thread.run_sync(service.cut, photo, cut)
                except BadImageError as err:
                    raise BadImageError(f"{upload.filename or 'the photo'}: {err}") from None
        except TooLarge as err:
            service.monitor.record_error()
            return JSONResponse({"error": str(err)}, status_code=413)
        except Busy as err:
            return JSONResponse({"error": str(err)}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})
        except ValueError as err:
            return JSONResponse({"error": str(err)}, status_code=400)
        except Exception:
            service.monitor.record_error()
            log.exception("POST /api/remove failed")
            return JSONResponse({"error": "the server could not cut this photo (an internal error)"}, status_code=500)
        png = io.BytesIO()
        (result.mask_image() if want_mask else result.output).save(png, **PNG_OPTIONS)
        headers = {
            "X-Bgremover-Latency-Ms": str(result.info["latency_ms"]),
            "X-Bgremover-Size": f"{result.info['width']}x{result.info['height']}",
            "X-Bgremover-Model": result.info["model"],
        }
        return Response(png.getvalue(), media_type="image/png", headers=headers)

    return APIRoute("/api/remove", remove, methods=["POST"], summary="Remove the background of one photo")
