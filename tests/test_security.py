"""A network client never names a file on the server: every entry point tried as an attacker would.

A fully transparent upload makes any leak exact (the answer would be the server file's pixels), so
each case asserts the refusal itself: an error in the library's words, the same words whether or not
the path exists, and no image back.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from bgremover import BadBackgroundError
from bgremover.constants import IMAGE_SUFFIXES
from bgremover.serve.service import CutRequest
from tests.conftest import REPO

SECRET = REPO / "docs" / "images" / "astronaut.png"  # an image every checkout has


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> dict[str, Path]:
    """A server-side image under every suffix the library reads, a symlink to one, and a photo with
    nothing in it (fully transparent)."""
    folder = tmp_path_factory.mktemp("server_files")
    pixels = Image.open(SECRET).convert("RGB").resize((64, 48))
    files = {}
    for suffix in IMAGE_SUFFIXES:
        path = folder / f"secret{suffix}"
        if suffix in (".heic", ".heif", ".avif"):
            path.write_bytes(SECRET.read_bytes())  # the name is what matters: a real file with that suffix
        else:
            pixels.save(path, format={".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF"}.get(suffix))
        files[suffix] = path
    link = folder / "link.png"
    os.symlink(files[".png"], link)
    files["link"] = link
    empty = folder / "transparent.png"
    Image.new("RGBA", (64, 48), (0, 0, 0, 0)).save(empty)
    files["empty"] = empty
    return files


def path_forms(planted: dict[str, Path]) -> list[str]:
    """How an attacker would write a server path: absolute, relative to the app's folder, through
    ``..``, ``~``, a ``file:`` URI, a symlink, and every image suffix."""
    secret = planted[".png"]
    home = Path.home()
    return [
        *(str(path) for key, path in planted.items() if key != "empty"),
        str(SECRET.relative_to(REPO)),  # relative to the app's working directory
        f"{REPO.name}/../{REPO.name}/{SECRET.relative_to(REPO)}",
        "../" * 12 + str(secret).lstrip("/"),
        f"~/{os.path.relpath(secret, home)}",
        secret.as_uri(),
        f"file:{secret}",
        str(secret.parent / "missing.png"),  # a path that does not exist answers the same
    ]


def same_words(message: str, path: str) -> str:
    """``message`` with the echoed value taken out: what remains must not depend on the path."""
    shown = path if len(path) <= 40 else f"{path[:40]}..."
    return message.replace(repr(shown), "<value>")


def test_the_service_takes_a_colour_or_uploaded_bytes_only(planted):
    for path in path_forms(planted):
        with pytest.raises(BadBackgroundError, match="is not a colour"):
            CutRequest(background="color", color=path).background_spec()
        with pytest.raises(BadBackgroundError, match="sent as an upload, not named by a path"):
            CutRequest(background="image", background_image=path).background_spec()
    uploaded = CutRequest(background="image", background_image=planted[".png"].read_bytes()).background_spec()
    assert uploaded.shape == (48, 64, 3)
    assert CutRequest(background="color", color="rgb(0, 128, 255)").background_spec() == (0, 128, 255)


def test_rest_background_never_reads_a_server_file(app_url, planted):
    photo = planted["empty"].read_bytes()
    words = set()
    for path in path_forms(planted):
        response = httpx.post(
            app_url + "api/remove", files={"file": ("t.png", photo)}, params={"background": path}, timeout=60
        )
        assert response.status_code == 400, (path, response.headers.get("content-type"))
        assert response.headers["content-type"] == "application/json"
        message = response.json()["error"]
        assert "is not a colour" in message and "no such file" not in message, message
        words.add(same_words(message, path))
    assert len(words) == 1, words  # an existing and a missing path get the same answer


def test_gradio_endpoints_never_read_a_server_file(app_url, planted, clip):
    client = Client(app_url, verbose=False)
    photo = handle_file(str(planted["empty"]))
    for path in path_forms(planted)[::3]:
        with pytest.raises(Exception, match="is not a colour") as cut:
            client.predict(photo, background="color", color=path, api_name="/cut")
        assert "no such file" not in str(cut.value)
        with pytest.raises(Exception, match="is not a colour"):
            client.predict(handle_file(str(clip)), "color", path, None, api_name="/cut_video")


def test_a_file_input_naming_a_server_path_is_refused_by_gradio(app_url, planted):
    """The photo and background inputs take uploads only: a request that names a server file in
    the place of an upload is refused before the handler runs."""
    named = {"path": str(SECRET), "meta": {"_type": "gradio.FileData"}}
    with open(planted["empty"], "rb") as handle:
        uploaded = httpx.post(app_url + "gradio_api/upload", files={"files": handle}, timeout=30).json()[0]
    photo = {"path": uploaded, "meta": {"_type": "gradio.FileData"}}
    for data in (
        [named, False, False, False, 0, "transparent", "#ffffff", None, "default", "main", False],
        [photo, False, False, False, 0, "image", "#ffffff", named, "default", "main", False],
    ):
        started = httpx.post(app_url + "gradio_api/call/cut", json={"data": data}, timeout=30)
        stream = httpx.get(app_url + f"gradio_api/call/cut/{started.json()['event_id']}", timeout=60).text
        assert "event: error" in stream and "not uploaded by a user" in stream, stream[:500]
        assert "event: complete" not in stream


HOSTILE = "<img src=x onerror=alert(1)>"


def test_what_a_client_sent_is_shown_as_text_not_html(app_url, tmp_path):
    """Errors quote what the client sent (a colour, an upload's name); Gradio renders a toast's
    message as HTML, so the quoted text arrives escaped."""
    with pytest.raises(Exception) as err:
        Client(app_url, verbose=False).predict(
            handle_file(str(SECRET)), background="color", color=HOSTILE, api_name="/cut"
        )
    assert "'&lt;img src=x onerror=alert(1)&gt;' is not a colour" in str(err.value), str(err.value)

    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not a picture")
    with open(junk, "rb") as handle:
        uploaded = httpx.post(app_url + "gradio_api/upload", files={"files": handle}, timeout=30).json()[0]
    photo = {"path": uploaded, "orig_name": f"{HOSTILE}.png", "meta": {"_type": "gradio.FileData"}}
    data = [photo, False, False, False, 0, "transparent", "#ffffff", None, "default", "main", False]
    started = httpx.post(app_url + "gradio_api/call/cut", json={"data": data}, timeout=30)
    stream = httpx.get(app_url + f"gradio_api/call/cut/{started.json()['event_id']}", timeout=60).text
    assert "event: error" in stream and "is not an image" in stream and "<img" not in stream, stream[:500]


def test_a_colour_out_of_range_is_refused_in_words_everywhere(app_url, planted, tmp_path):
    from bgremover import remove_background

    with pytest.raises(BadBackgroundError, match="outside 0-255"):
        remove_background(np.zeros((8, 8, 3), np.uint8), background="rgb(300,0,0)")
    with pytest.raises(BadBackgroundError, match="three integers in 0-255"):
        remove_background(np.zeros((8, 8, 3), np.uint8), background=(300, 0, 0))
    response = httpx.post(
        app_url + "api/remove",
        files={"file": ("t.png", planted["empty"].read_bytes())},
        params={"background": "rgb(300,0,0)"},
        timeout=60,
    )
    assert response.status_code == 400 and "outside 0-255" in response.json()["error"]
