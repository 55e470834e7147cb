"""The running Gradio app, called through gradio_client like any script would."""

from __future__ import annotations

import os

import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from bgremover import WeightsUnavailableError, load_model, remove_background
from bgremover.peers import PEERS
from tests.corpus import EXPECT_RESULT, expected_size, write_corpus


@pytest.fixture(scope="module")
def client(app_url) -> Client:
    return Client(app_url, verbose=False)


@pytest.fixture(scope="module")
def segmenter():
    return load_model(device="cpu")


def test_cut_returns_rgba_png_matching_the_library(client, segmenter, photo_path):
    png, info = client.predict(handle_file(str(photo_path)), api_name="/cut")
    result = Image.open(png)
    source = Image.open(photo_path)
    assert result.format == "PNG" and result.mode == "RGBA" and result.size == source.size
    alpha = np.asarray(result)[..., 3] / 255.0
    assert np.abs(alpha - segmenter.predict(photo_path)).max() <= 1 / 255 + 1e-6
    assert info["latency_ms"] > 0 and (info["width"], info["height"]) == source.size


def test_cut_options_and_mask_endpoint(client, segmenter, photo_path):
    png, _ = client.predict(
        handle_file(str(photo_path)), True, False, False, 0.0, "color", "#00ff00", None, api_name="/cut"
    )
    assert Image.open(png).mode == "RGB"
    mask = Image.open(client.predict(handle_file(str(photo_path)), True, api_name="/mask"))
    assert mask.mode == "L" and mask.size == Image.open(photo_path).size
    expected = segmenter.predict(photo_path, tta=True)
    assert np.abs(np.asarray(mask) / 255.0 - expected).max() <= 1 / 255 + 1e-6


@pytest.mark.parametrize("name", ["fast", "fast-plus"])
def test_each_fast_model_is_selectable_and_matches_the_library(client, photo_path, name):
    if name == "fast-plus":  # loaded at its first request, with MediaPipe Selfie's file
        try:
            PEERS["selfie"].weights()
        except WeightsUnavailableError as err:
            pytest.skip(str(err))
    options = (False, False, False, 0.0, "transparent", "#ffffff", None)
    png, info = client.predict(handle_file(str(photo_path)), *options, name, api_name="/cut")
    alpha = np.asarray(Image.open(png))[..., 3] / 255.0
    assert info["model"] == name
    assert np.abs(alpha - load_model(name).predict(photo_path)).max() <= 1 / 255 + 1e-6
    with pytest.raises(Exception, match="huge"):  # not one of the radio's choices
        client.predict(handle_file(str(photo_path)), *options, "huge", api_name="/cut")


def test_main_subject_through_the_api(client, segmenter, subject_and_bystander):
    path, _, bystander = subject_and_bystander
    options = (False, False, False, 0.0, "transparent", "#ffffff", None, "default")
    png, _ = client.predict(handle_file(str(path)), *options, "main", api_name="/cut")
    alpha = np.asarray(Image.open(png))[..., 3] / 255.0
    assert np.abs(alpha - segmenter.predict(path, subject="main")).max() <= 1 / 255 + 1e-6
    assert alpha[bystander > 0.5].max() == 0.0
    mask = np.asarray(Image.open(client.predict(handle_file(str(path)), subject="all", api_name="/mask"))) / 255.0
    assert mask[bystander > 0.5].mean() > 0.7


def test_bad_uploads_give_errors_and_the_server_keeps_serving(client, photo_path, tmp_path):
    corpus = write_corpus(tmp_path)
    for name, good in EXPECT_RESULT.items():
        if good:
            png, _ = client.predict(handle_file(str(corpus[name])), api_name="/cut")
            assert Image.open(png).size == expected_size(name), name
        else:
            with pytest.raises(AppError) as info:
                client.predict(handle_file(str(corpus[name])), api_name="/cut")
            assert name in str(info.value) and "Traceback" not in str(info.value), (name, str(info.value))
    png, _ = client.predict(handle_file(str(photo_path)), api_name="/cut")
    assert Image.open(png).mode == "RGBA"


def test_api_lists_named_endpoints(client):
    api = client.view_api(print_info=False, return_format="dict")
    assert {"/cut", "/mask", "/cut_video"} <= set(api["named_endpoints"])


def test_short_load_run_has_no_failures(app_url, photo_path):
    from benchmarks.load import run_load

    result = run_load(app_url, str(photo_path), clients=8, requests=5)
    assert result["calls"] == 40 and result["failed"] == 0, result["errors"]
    assert result["rss_after_mb"] > 0 and result["p95_ms"] >= result["p50_ms"] > 0


def test_cut_video_endpoint_returns_a_transparent_clip(client, clip, tmp_path):
    import av

    from bgremover import probe_video

    path, info = client.predict(handle_file(str(clip)), api_name="/cut_video")
    assert path.endswith(".webm") and info["frames"] == 6 and info["audio"] and info["model"] == "fast"
    with av.open(path) as container:
        decoder = av.CodecContext.create("libvpx-vp9", "r")
        frames = [
            f.to_ndarray(format="rgba") for p in container.demux(container.streams.video[0]) for f in decoder.decode(p)
        ]
    assert len(frames) == 6 and frames[0].shape == (108, 192, 4)
    assert 0 < (frames[0][..., 3] > 127).mean() < 0.9  # a person, not everything or nothing
    zipped, _ = client.predict(
        handle_file(str(clip)), "color", "#ff0000", None, "fast", "main", False, "mp4", api_name="/cut_video"
    )
    assert probe_video(zipped).frames == 6


def test_cut_video_endpoint_writes_the_alpha_matte(client, clip):
    import av

    from bgremover import load_model, read_frames

    path, info = client.predict(
        handle_file(str(clip)), "matte", "#ffffff", None, "fast", "main", False, "mp4", api_name="/cut_video"
    )
    assert path.endswith(".mp4") and info["frames"] == 6
    with av.open(path) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    expected = load_model("fast").predict([rgb for rgb, _ in read_frames(clip)])
    for frame, alpha in zip(frames, expected, strict=True):  # white on black, as the library's alpha
        assert np.abs(frame.astype(float) - alpha[..., None] * 255).mean() < 4


def test_cut_video_refuses_bad_clips_in_plain_words(client, clip, tmp_path):
    not_video = tmp_path / "notes.mp4"
    not_video.write_text("hello\n" * 100)
    with pytest.raises(Exception, match=r"notes\.mp4 is not a video bgremover can read"):
        client.predict(handle_file(str(not_video)), api_name="/cut_video")
    with pytest.raises(Exception, match=r"choose a background image"):
        client.predict(handle_file(str(clip)), "image", "#ffffff", None, api_name="/cut_video")
    _, info = client.predict(handle_file(str(clip)), api_name="/cut_video")  # still serving
    assert info["frames"] == 6


def test_cut_cleans_edge_colours_as_the_library_does(client, segmenter, photo_path):
    png, _ = client.predict(handle_file(str(photo_path)), foreground_estimation=True, api_name="/cut")
    expected = np.asarray(remove_background(photo_path, model=segmenter, foreground_estimation=True)).astype(int)
    assert np.abs(np.asarray(Image.open(png)).astype(int) - expected).max() <= 1


def test_every_endpoint_names_its_inputs_and_outputs(client, photo_path):
    api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert set(api) == {"/cut", "/mask", "/cut_video", "/stats"}
    for name, endpoint in api.items():
        labels = [p["parameter_name"] for p in endpoint["parameters"]] + [r["label"] for r in endpoint["returns"]]
        assert all(label and not label.startswith("value_") for label in labels), (name, labels)
    _, info = client.predict(handle_file(str(photo_path)), model="default", api_name="/cut")  # the library's name
    assert info["model"] == "default"


def test_examples_are_credited_and_show_what_the_product_does(segmenter):
    """Each example ships with the app, has its credit line in examples/CREDITS.md, and holds people
    the model finds; "everyone" keeps the person cut by the frame's edge that "main subject" drops."""
    from bgremover_app import showcase

    credits = (showcase.EXAMPLES_DIR / "CREDITS.md").read_text()
    names = {name for name, _, _ in showcase.PHOTO_EXAMPLES} | {showcase.VIDEO_EXAMPLE}
    assert names == set(showcase.CREDITS) and all((showcase.EXAMPLES_DIR / n).is_file() for n in names)
    for name in names:
        assert showcase.CREDITS[name] in credits, name
    found = {}
    for name, people, _ in showcase.PHOTO_EXAMPLES:
        found[name, people] = segmenter.predict(showcase.EXAMPLES_DIR / name, subject=people) >= 0.5
        assert 0.03 < found[name, people].mean() < 0.9, name
    main, everyone = found["hands_raised_charades.jpg", "main"], found["hands_raised_charades.jpg", "all"]
    assert not (main & ~everyone).any() and (everyone & ~main).sum() > 1000


def test_a_stopped_app_leaves_no_cut_outs_and_user_errors_leave_no_tracebacks(tmp_path):
    """The server's folder of users' downloads goes when the server stops (SIGTERM, as a Space or
    systemd stops it), and an ordinary bad upload is answered without a traceback in the log."""
    import sys

    from tests.conftest import REPO, free_port, start_app

    temp = tmp_path / "tmp"
    temp.mkdir()
    port = free_port()
    env = {
        **os.environ,
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "PYTHONPATH": str(REPO),
        "TMPDIR": str(temp),
        "BGREMOVER_MODEL": "fast",
    }
    log = tmp_path / "app.log"
    process = start_app([sys.executable, "app.py"], REPO, env, log)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        junk = tmp_path / "notes.jpg"
        junk.write_text("not a photo")
        for _ in range(3):
            with pytest.raises(Exception, match="is not an image format bgremover can read"):
                client.predict(handle_file(str(junk)), api_name="/cut")
        with pytest.raises(Exception, match="is not a colour"):
            client.predict(
                handle_file(str(REPO / "docs" / "images" / "astronaut.png")),
                background="color",
                color="/etc/hostname.png",
                api_name="/cut",
            )
        assert [p.name for p in temp.iterdir() if p.name.startswith("bgremover-")]  # the downloads' folder
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert process.returncode == 0
    assert not [p.name for p in temp.iterdir() if p.name.startswith("bgremover-")]
    assert "Traceback" not in log.read_text(), log.read_text()[-2000:]


def test_a_clip_just_over_the_limit_says_by_how_much_and_leaves_nothing(monkeypatch, clip, tmp_path):
    from bgremover import BadVideoError, load_model
    from bgremover.serve.service import CutRequest, CutService

    service = CutService(load_model("fast"), out_dir=tmp_path / "out")
    size = clip.stat().st_size
    monkeypatch.setenv("BGREMOVER_VIDEO_MAX_BYTES", str(size - 1))
    with pytest.raises(BadVideoError) as err:
        service.cut_video(str(clip), CutRequest())
    assert str(err.value) == f"the clip is {size:,} bytes; the limit is {size - 1:,} bytes"
    monkeypatch.setenv("BGREMOVER_VIDEO_MAX_BYTES", str(size * 100))
    with pytest.raises(ValueError, match="is not a colour"):
        service.cut_video(str(clip), CutRequest(background="color", color="rgb(300,0,0)x"))
    assert list((tmp_path / "out").iterdir()) == []  # no empty placeholder left behind
