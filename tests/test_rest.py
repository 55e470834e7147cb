"""``POST /api/remove`` of the running app, called as curl would (multipart upload, PNG back)."""

from __future__ import annotations

import io

import httpx
import numpy as np
import pytest
from PIL import Image

from bgremover import load_model, remove_background
from tests.corpus import EXPECT_RESULT, expected_size, write_corpus


def post(url: str, path, params: dict | None = None, **files) -> httpx.Response:
    uploads = {"file": (path.name, path.read_bytes())} | {k: (v.name, v.read_bytes()) for k, v in files.items()}
    return httpx.post(url + "api/remove", files=uploads, params=params or {}, timeout=120)


def test_cut_out_is_the_librarys_alpha(app_url, photo_path):
    response = post(app_url, photo_path)
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    result = Image.open(io.BytesIO(response.content))
    assert result.mode == "RGBA" and result.size == Image.open(photo_path).size
    alpha = np.asarray(result)[..., 3] / 255.0
    assert np.abs(alpha - load_model(device="cpu").predict(photo_path)).max() <= 1 / 255 + 1e-6
    assert response.headers["x-bgremover-model"] == "default"
    assert response.headers["x-bgremover-size"] == "x".join(map(str, result.size))


def test_options_mask_threshold_fast_model_and_background_photo(app_url, photo_path):
    mask = post(app_url, photo_path, {"mask": "true", "threshold": "0.5", "model": "fast", "multiscale": "false"})
    assert mask.status_code == 200 and mask.headers["x-bgremover-model"] == "fast"
    values = np.asarray(Image.open(io.BytesIO(mask.content)))
    assert values.ndim == 2 and set(np.unique(values)) == {0, 255}
    expected = load_model("fast").predict(photo_path) >= 0.5
    assert ((values == 255) == expected).mean() > 0.999  # the same network; int8 in both, same thresholding

    green = Image.open(io.BytesIO(post(app_url, photo_path, {"background": "#00ff00"}).content))
    assert green.mode == "RGB"
    corner = np.asarray(green)[:8, :8].reshape(-1, 3)
    assert (np.abs(corner.astype(int) - [0, 255, 0]).max(axis=1) <= 2).mean() > 0.9  # a background corner

    behind = post(app_url, photo_path, background_image=photo_path)
    assert behind.status_code == 200 and Image.open(io.BytesIO(behind.content)).mode == "RGB"


@pytest.mark.parametrize("upsample", ["bilinear", "guided"])
def test_upsample_option_is_the_librarys(app_url, photo_path, upsample):
    response = post(app_url, photo_path, {"model": "fast", "upsample": upsample})
    assert response.status_code == 200
    alpha = np.asarray(Image.open(io.BytesIO(response.content)))[..., 3] / 255.0
    fast = load_model("fast")
    assert np.abs(alpha - fast.predict(photo_path, upsample=upsample)).max() <= 1 / 255 + 1e-6
    other = "guided" if upsample == "bilinear" else "bilinear"
    assert np.abs(alpha - fast.predict(photo_path, upsample=other)).max() > 0.2  # the option was applied


def test_clean_edge_colours_are_the_librarys(app_url, photo_path):
    response = post(app_url, photo_path, {"model": "fast", "foreground_estimation": "true"})
    assert response.status_code == 200
    expected = remove_background(photo_path, model=load_model("fast"), foreground_estimation=True)
    got = np.asarray(Image.open(io.BytesIO(response.content))).astype(int)
    assert np.abs(got - np.asarray(expected).astype(int)).max() <= 1


@pytest.mark.parametrize(
    "params, words",
    [
        ({"model": "huge"}, "unknown model 'huge'"),
        ({"background": "plaid"}, "background must be transparent, blur, greenscreen or a colour; 'plaid' is not"),
        ({"subject": "crowd"}, "subject must be one of all, main"),
        ({"threshold": "3"}, "threshold must be between 0 and 1 (0 keeps the soft alpha), got '3'"),
        ({"mask": "maybe"}, "mask must be true or false"),
        ({"multiscale": "2"}, "multiscale must be true or false"),
        ({"foreground_estimation": "on"}, "foreground_estimation must be true or false"),
        ({"upsample": "nearest"}, "upsample must be one of bilinear, guided, got 'nearest'"),
    ],
)
def test_bad_options_answer_400_in_the_librarys_words(app_url, photo_path, params, words):
    response = post(app_url, photo_path, params)
    assert response.status_code == 400 and words in response.json()["error"]


def test_bad_files_answer_in_words_and_the_server_keeps_serving(app_url, tmp_path, photo_path):
    missing = httpx.post(app_url + "api/remove", timeout=60)
    assert missing.status_code == 400 and "multipart form field 'file'" in missing.json()["error"]
    corpus = write_corpus(tmp_path)
    for name, good in EXPECT_RESULT.items():
        response = post(app_url, corpus[name])
        if good:
            assert response.status_code == 200, (name, response.text)
            assert Image.open(io.BytesIO(response.content)).size == expected_size(name), name
        else:
            assert response.status_code == 400, name
            assert response.json()["error"].startswith(corpus[name].name), name
    assert post(app_url, photo_path).status_code == 200


def test_a_file_over_the_limit_is_refused_with_413(monkeypatch, photo_path):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from bgremover.serve.service import CutService
    from bgremover_app.rest import remove_route

    service = CutService(load_model("fast"))
    client = TestClient(FastAPI(routes=[remove_route(service)]))
    monkeypatch.setenv("BGREMOVER_MAX_BYTES", str(photo_path.stat().st_size - 1))
    response = client.post("/api/remove", files={"file": (photo_path.name, photo_path.read_bytes())})
    assert response.status_code == 413 and "larger than the limit" in response.json()["error"]
    assert service.monitor.summary()["errors"] == 1
    monkeypatch.setenv("BGREMOVER_MAX_BYTES", str(photo_path.stat().st_size))
    assert client.post("/api/remove", files={"file": (photo_path.name, photo_path.read_bytes())}).status_code == 200


def test_unknown_options_and_fields_answer_400_in_words(app_url, photo_path):
    response = post(app_url, photo_path, {"modle": "fast"})
    assert response.status_code == 400 and "unknown option 'modle'" in response.json()["error"]
    text_file = httpx.post(app_url + "api/remove", data={"file": "photo.jpg"}, timeout=60)
    assert text_file.status_code == 400 and "as a file in the form field" in text_file.json()["error"]
    stray = httpx.post(
        app_url + "api/remove", files={"file": (photo_path.name, photo_path.read_bytes()), "photo": ("x", b"1")}
    )
    assert stray.status_code == 400 and "unknown form field 'photo'" in stray.json()["error"]


def test_a_bad_background_image_is_blamed_not_the_photo(app_url, photo_path, tmp_path):
    junk = tmp_path / "beach.jpg"
    junk.write_bytes(b"not a picture")
    response = post(app_url, photo_path, background_image=junk)
    assert response.status_code == 400
    message = response.json()["error"]
    assert message.startswith("the background image:") and photo_path.name not in message, message


def test_a_huge_upload_is_refused_from_its_declared_length_before_the_body(app_url):
    """1 GB announced, nothing sent: the 413 comes back at once (the server does not wait for the body)."""
    import socket
    from urllib.parse import urlparse

    url = urlparse(app_url)
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(
            b"POST /api/remove HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: 1000000000\r\n\r\n"
        )
        answer = b""
        while b"}" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        answer = answer.decode(errors="replace")
    assert answer.startswith("HTTP/1.1 413") and "a photo may be at most" in answer, answer[:300]


def test_a_flood_gets_503_with_retry_after_and_the_page_keeps_answering(app_url, photo_path):
    """60 slow calls at once: at most two are cut at a time and sixteen wait; the rest are told to
    retry, and the page is served while they run."""
    from concurrent.futures import ThreadPoolExecutor

    def call(_):
        return post(app_url, photo_path, {"tta": "true", "multiscale": "true"})

    with ThreadPoolExecutor(60) as pool:
        calls = [pool.submit(call, i) for i in range(60)]
        page = httpx.get(app_url, timeout=60)
        page_done_while_flooded = not all(c.done() for c in calls)
        answers = [c.result() for c in calls]
    assert page.status_code == 200 and page_done_while_flooded
    codes = [a.status_code for a in answers]
    assert set(codes) == {200, 503} and codes.count(200) >= 18, codes
    busy = next(a for a in answers if a.status_code == 503)
    assert busy.headers["retry-after"] == "2" and "the server is busy" in busy.json()["error"]
    assert post(app_url, photo_path).status_code == 200  # serving again once the flood has passed
