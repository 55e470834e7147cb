"""The app in a real browser: Debian's chromium driven by playwright."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bgremover.hub import run_config
from tests.conftest import REPO

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("BGREMOVER_ARTIFACTS", REPO / "artifacts"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def playwright():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: apt-get install -y chromium (see .ci/run)")
    with sync_playwright() as driver:
        yield driver


def open_page(playwright, app_url):
    """A browser showing the app, ready to use; yields its page and closes the browser after."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(app_url)
    page.wait_for_selector("#cut-button", timeout=60_000)
    yield page
    browser.close()


@pytest.fixture(scope="module")
def page(app_url, playwright):
    yield from open_page(playwright, app_url)


def upload_photo(page, path: str) -> None:
    """Upload into the Cut out tab's photo box and wait until the app holds it: a click on "Cut
    out" while the upload is still in flight is not sent."""
    with page.expect_response(lambda response: "/upload" in response.url and response.request.method == "POST"):
        page.set_input_files("#input-image input[type=file]", path)
    name = Path(path).name
    page.wait_for_function(
        "([name]) => { const img = document.querySelector('#input-image img');"
        " return img !== null && img.src.includes(name); }",
        arg=[name],
        timeout=30_000,
    )


def cut_and_wait(page, words: str = "") -> str:
    """Click "Cut out" and wait for the new summary (the one that starts "Cut out in", not the
    old one under the "processing" bar); returns it."""
    before = page.inner_text("#result-summary")
    page.click("#cut-button")
    page.wait_for_function(
        "([before, words]) => { const text = document.querySelector('#result-summary').innerText.trim();"
        " return text.startsWith('Cut out in') && text !== before.trim() && text.includes(words); }",
        arg=[before, words],
        timeout=90_000,
    )
    return page.inner_text("#result-summary")


def test_upload_toggle_cut_shows_result(page, photo_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    upload_photo(page, str(photo_path))
    page.click("#more-options")  # the accordion holding the finer options
    page.get_by_label("TTA: horizontal flip").check()
    page.click("#cut-button")
    page.wait_for_selector("#cutout img", timeout=60_000)
    source = page.get_attribute("#cutout img", "src")
    assert source and ".png" in source
    page.screenshot(path=str(ARTIFACTS / "cut_out.png"), full_page=True)
    assert (ARTIFACTS / "cut_out.png").stat().st_size > 10_000


@pytest.mark.parametrize("name", ["fast", "fast-plus"])
def test_each_fast_model_choice_cuts_out(page, photo_path, name):
    from bgremover_app.components import model_label

    upload_photo(page, str(photo_path))
    assert model_label("fast") == f"Fast ({run_config('fast').working_size} px, real-time)"
    page.get_by_label(model_label(name)).check()
    cut_and_wait(page, f"{name} model")
    assert ".png" in page.get_attribute("#cutout img", "src")
    page.screenshot(path=str(ARTIFACTS / f"cut_out_{name}.png"), full_page=True)


def test_clean_edge_colours_option_cuts_out(page, photo_path):
    upload_photo(page, str(photo_path))
    if not page.is_visible("#foreground-estimation"):
        page.click("#more-options")
    page.locator("#foreground-estimation input").check()
    cut_and_wait(page)
    page.locator("#foreground-estimation input").uncheck()


def test_bad_upload_answers_in_plain_words_and_the_page_keeps_working(page, tmp_path, photo_path):
    notes = tmp_path / "notes.jpg"
    notes.write_text("hello, not a photo\n" * 50)
    upload_photo(page, str(notes))
    page.click("#cut-button")
    toast = page.locator(".toast-body").filter(has_text="notes.jpg")
    toast.first.wait_for(timeout=30_000)
    message = toast.first.inner_text()
    assert "is not an image format bgremover can read" in message
    assert "preprocess" not in message and "/tmp" not in message and "Unidentified" not in message
    upload_photo(page, str(photo_path))
    cut_and_wait(page)


def test_layout_colour_only_for_colour_and_transparency_on_a_checkerboard(playwright, app_url, photo_path):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(app_url)
        upload_photo(page, str(photo_path))
        page.wait_for_selector("#input-image img", timeout=30_000)
        box = page.locator("#cut-button").bounding_box()
        assert box["y"] + box["height"] <= 800  # above the fold on a 1280×800 screen
        assert not page.get_by_label("Background colour").is_visible()
        page.get_by_label("color", exact=True).check()
        page.get_by_label("Background colour").first.wait_for(state="visible", timeout=10_000)
        page.get_by_label("transparent", exact=True).check()
        page.click("#cut-button")
        page.wait_for_selector("#cutout img", timeout=60_000)
        background = page.eval_on_selector("#cutout img", "e => getComputedStyle(e).backgroundImage")
        assert "conic-gradient" in background
    finally:
        browser.close()


def test_a_heic_the_browser_does_not_take_is_explained(playwright, app_url, tmp_path, photo_path):
    """Chromium does not upload an iPhone's HEIC into the photo box; "Cut out" then says what to do."""
    from PIL import Image

    from bgremover.io import register_formats

    register_formats()
    Image.open(photo_path).save(tmp_path / "IMG_0001.HEIC", "HEIF")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(app_url)
        page.set_input_files("#input-image input[type=file]", str(tmp_path / "IMG_0001.HEIC"))
        page.click("#cut-button")
        toast = page.locator(".toast-body").filter(has_text="Upload a photo first")
        toast.first.wait_for(timeout=30_000)
        assert "HEIC" in toast.first.inner_text() and "/api/remove" in toast.first.inner_text()
    finally:
        browser.close()


def test_leaderboard_tab_shows_table_and_plots(page):
    page.get_by_role("tab", name="Leaderboard").click()
    page.wait_for_selector(".leaderboard-table table", state="visible", timeout=30_000)
    page.wait_for_selector(".js-plotly-plot", state="visible", timeout=30_000)
    assert page.locator(".leaderboard-table").first.inner_text().count("ours") >= 1
    assert page.locator(".leaderboard-environment").first.inner_text().startswith("Measured on")
    paired = page.locator(".leaderboard-paired").first.inner_text()  # CCP test, photo by photo against MediaPipe
    assert "better / worse" in paired and "ours:bgremover-fast" in paired and "mediapipe_selfie" not in paired
    page.get_by_role("button", name="Show these images: photo | ground truth | our mask").first.click()
    page.wait_for_selector("#leaderboard-tab .gallery img, #leaderboard-tab button.thumbnail-item img", timeout=120_000)
    page.screenshot(path=str(ARTIFACTS / "leaderboard.png"), full_page=True)


def test_monitor_tab_is_filled_when_the_page_opens(page, app_url, photo_path):
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False)
    client.predict(handle_file(str(photo_path)), api_name="/cut")
    requests = client.predict(api_name="/stats")["requests"]
    fresh = page.context.browser.new_page()
    try:
        fresh.goto(app_url)
        fresh.get_by_role("tab", name="Monitor").click()
        # filled by the page's load event, before the first 5 s refresh
        status = "document.querySelector('#monitor-status').innerText.includes('Requests')"
        fresh.wait_for_function(status, timeout=4_000)
        assert f"Requests {requests} " in fresh.locator("#monitor-status").inner_text()
    finally:
        fresh.close()


def test_video_tab_names_the_models_as_the_cut_out_tab_does(page):
    page.get_by_role("tab", name="Video").click()
    fast = f"Fast ({run_config('fast').working_size} px, real-time)"
    assert page.locator("#video-model").get_by_label(fast).is_visible()
    assert page.locator("#video-model").get_by_label(f"Quality ({run_config('default').working_size} px)").is_visible()


def test_video_tab_cuts_an_uploaded_clip(page, clip):
    page.get_by_role("tab", name="Video").click()
    page.set_input_files("#input-video input[type=file]", str(clip))
    page.click("#cut-video-button")
    page.wait_for_function(
        "(document.querySelector('#video-result video')?.src || '').includes('.webm')",
        timeout=120_000,
    )
    assert ".webm" in page.locator("#video-download").inner_text()
    page.wait_for_function("document.body.innerText.includes('\"frames\"')", timeout=30_000)  # the Details JSON
    page.screenshot(path=str(ARTIFACTS / "video_tab.png"), full_page=True)


@pytest.fixture
def fake_camera(tmp_path, photos) -> Path:
    """A Y4M file of real frames that Chromium plays as its camera."""
    import av

    path = tmp_path / "camera.y4m"
    with av.open(str(path), "w", format="yuv4mpegpipe") as container:
        stream = container.add_stream("rawvideo", rate=10)
        stream.height, stream.width = photos[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        for rgb in photos:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        container.mux(stream.encode())
    return path


def test_live_tab_streams_the_camera_through_the_fast_model(app_url, playwright, fake_camera):
    camera_args = [
        *ARGS,
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={fake_camera}",
    ]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=camera_args)
    try:
        page = browser.new_context(permissions=["camera"], viewport={"width": 1400, "height": 1100}).new_page()
        page.goto(app_url)
        page.get_by_role("tab", name="Live").click()
        page.get_by_text("Click to Access Webcam").click()
        page.get_by_role("button", name="capture photo").click()  # starts streaming
        page.wait_for_function(
            "document.querySelector('#live-output img') && document.querySelector('#live-output img').src",
            timeout=60_000,
        )
        first = page.get_attribute("#live-output img", "src")
        page.wait_for_function(  # processed frames keep coming back, and the rate is shown
            f"document.querySelector('#live-output img').src !== {first!r}"
            " && /[1-9][0-9.]* fps \\(fast model\\)/.test(document.querySelector('#live-fps textarea').value)",
            timeout=60_000,
        )
        page.screenshot(path=str(ARTIFACTS / "live_tab.png"), full_page=True)
    finally:
        browser.close()


@pytest.fixture
def fresh_page(playwright, app_url):
    """A page of its own, with the app's default options (the module's page keeps earlier tests' choices)."""
    yield from open_page(playwright, app_url)


def test_before_after_slider_lines_up_the_photo_and_its_cut_out(fresh_page, tmp_path):
    """At the slider's middle the left half is the photo and the right half its cut-out, drawn at the
    same place and scale: a square photo taller than the box, compared pixel by pixel with the photo
    as the box draws it (object-fit: contain)."""
    import io

    import numpy as np
    from PIL import Image

    from bgremover import load_model
    from bgremover_app.showcase import EXAMPLES_DIR

    crew = Image.open(EXAMPLES_DIR / "group_apollo11_crew.jpg").convert("RGB")
    square = crew.crop((0, 0, 471, 471)).resize((512, 512))
    path = tmp_path / "square.png"
    square.save(path)
    page = fresh_page
    upload_photo(page, str(path))
    cut_and_wait(page)
    page.wait_for_timeout(500)
    boxes = page.evaluate(
        "() => Array.from(document.querySelectorAll('#before-after .content img'))"
        ".map(i => { const r = i.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })"
    )
    assert len(boxes) == 2 and boxes[0] == boxes[1], boxes  # the two layers share one box
    x, y, width, height = boxes[0]
    shot = np.asarray(Image.open(io.BytesIO(page.screenshot(clip=dict(x=x, y=y, width=width, height=height)))))[..., :3]
    side = round(min(width, height))
    left, top = round((width - side) / 2), round((height - side) / 2)
    drawn = np.asarray(square.resize((side, side), Image.BILINEAR)).astype(int)
    alpha = np.asarray(
        Image.fromarray(load_model().predict(np.asarray(square)) * 255).convert("L").resize((side, side))
    )
    middle = round(width / 2)
    photo_side = shot[top : top + side, left : middle - 4].astype(int)
    assert np.abs(photo_side - drawn[:, : middle - 4 - left]).mean() < 12  # the photo, where the box draws it
    cut_side = shot[top : top + side, middle + 4 : left + side].astype(int)
    expected = drawn[:, middle + 4 - left :]
    person = alpha[:, middle + 4 - left :] > 240
    background = alpha[:, middle + 4 - left :] < 10
    assert person.mean() > 0.2 and background.mean() > 0.05
    assert np.abs(cut_side[person] - expected[person]).mean() < 12  # the cut-out's person lies on the photo's
    assert np.abs(cut_side[background] - expected[background]).mean() > 60  # its background is gone


def test_a_16_bit_grey_photo_is_cut_as_the_library_cuts_it(fresh_page, tmp_path, photo_path):
    """The photo box hands the upload to the library as the file it is: a 16-bit grey PNG (which
    Gradio's default re-save turned white: "No person was found") is cut like the library cuts it."""
    import numpy as np
    from PIL import Image

    grey = np.asarray(Image.open(photo_path).convert("L"), np.uint16) * 257
    path = tmp_path / "grey16.png"
    Image.fromarray(grey, "I;16").save(path)
    upload_photo(fresh_page, str(path))
    summary = cut_and_wait(fresh_page)
    assert "No person" not in summary, summary


PATCHES = ((200, 60, 60), (40, 180, 70), (60, 80, 220), (230, 200, 40))  # saturated colours a matrix moves
PLAYED = """async (src) => {
  const video = document.createElement("video");
  video.muted = true;
  video.src = src;
  await new Promise((ok, fail) => {
    video.onloadeddata = ok;
    video.onerror = () => fail(String(video.error.message));
  });
  video.currentTime = 0.45;
  await new Promise((ok) => { video.onseeked = ok; });
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const context = canvas.getContext("2d");
  context.drawImage(video, 0, 0);
  const rows = [canvas.height / 4, (3 * canvas.height) / 4];
  return rows.map((y) => [0, 1, 2, 3].map((i) =>
    Array.from(context.getImageData(Math.floor(((i + 0.5) * canvas.width) / 4), Math.floor(y), 1, 1).data)));
}"""


@pytest.mark.parametrize("size", [(720, 1280), (240, 320)], ids=["hd", "sd"])
def test_a_written_video_plays_in_chromium_with_the_colours_it_was_given(playwright, tmp_path, size):
    """Colour patches written as MP4 (H.264), WebM (VP9) and transparent WebM play back in Chromium within
    3 levels of what was written, HD and SD alike (untagged, an HD H.264 clip played 19 levels off); the
    transparent clip's lower half reads as transparent. A camera clip that names no matrix is read by the
    library as Chromium plays it."""
    import functools
    import http.server
    import threading

    import numpy as np

    from bgremover.video_io import read_frames, write_video
    from tests.test_video import untagged_clip

    height, width = size
    opaque = np.repeat(np.repeat(np.array(PATCHES, np.uint8)[None], height, axis=0), width // 4, axis=1)
    transparent = np.dstack([opaque, np.full((height, width), 255, np.uint8)])
    transparent[height // 2 :, :, 3] = 0
    for name, frames in (("clip.mp4", opaque), ("clip.webm", opaque), ("alpha.webm", transparent)):
        write_video([frames] * 10, tmp_path / name, fps=10)
    camera = untagged_clip(tmp_path / "camera.mp4", opaque, 1 if height >= 720 else 5)  # names no matrix

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:  # no request lines in the test's output
            pass

    handler = functools.partial(Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    (tmp_path / "index.html").write_text("<html><body></body></html>")
    base = f"http://127.0.0.1:{server.server_address[1]}"
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    try:
        page = browser.new_page()
        page.goto(f"{base}/index.html")
        for name in ("clip.mp4", "clip.webm", "alpha.webm"):
            upper, lower = (np.array(r, np.int16) for r in page.evaluate(PLAYED, f"{base}/{name}"))
            assert np.abs(upper[:, :3] - np.array(PATCHES)).max() <= 3, (name, upper.tolist())
            assert (upper[:, 3] == 255).all(), (name, upper.tolist())
            if name == "alpha.webm":
                assert (lower[:, 3] == 0).all(), lower.tolist()
        # a clip that names no matrix: the library reads it in the matrix Chromium plays it in. Chromium's
        # own BT.709 conversion lands up to 9 levels off in a saturated blue (the library's reading is
        # within 3 of the patches: tests/test_video.py); the other matrix would put them ~20 apart
        played = np.array(page.evaluate(PLAYED, f"{base}/camera.mp4")[0], np.int16)[:, :3]
        read = next(iter(read_frames(camera)))[0][height // 4, width // 8 :: width // 4].astype(np.int16)
        assert np.abs(played - read).max() <= 10, (played.tolist(), read.tolist())
    finally:
        browser.close()
        server.shutdown()
