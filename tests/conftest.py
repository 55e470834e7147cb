"""Shared fixtures. Data and weights come from ``../shared`` unless the env vars point elsewhere."""

from __future__ import annotations

import ast
import functools
import inspect
import os
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("BGREMOVER_WEIGHTS_DIR", str(REPO.parent / "shared" / "weights"))
os.environ.setdefault("BGREMOVER_DATA_DIR", str(REPO.parent / "shared" / "data"))
for key, value in {
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "NO_ALBUMENTATIONS_UPDATE": "1",
}.items():
    os.environ[key] = value

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(int(os.environ.get("BGREMOVER_TEST_THREADS", "2")))
DATA = Path(os.environ["BGREMOVER_DATA_DIR"])
WEIGHTS = Path(os.environ["BGREMOVER_WEIGHTS_DIR"])
CCP = DATA / "ccp_person"
BACKGROUNDS = DATA / "backgrounds"
CLIP_FPS = 10
CLIP_SIZE = (192, 108)  # width, height of the test clips


def pytest_configure(config):
    """A run stopped by SIGTERM (a CI timeout, ``kill``) ends as Ctrl-C ends it: the fixtures are torn
    down, so the app servers they started stop with it instead of running on."""
    import signal

    signal.signal(signal.SIGTERM, signal.default_int_handler)


@pytest.fixture(scope="session")
def ccp_stems() -> list[str]:
    """Four fixed CCP training stems."""
    from bgremover.data import read_split

    return read_split(CCP / "splits" / "trainval.txt")[:4]


@pytest.fixture(scope="session")
def photo_path() -> Path:
    """A real CCP test photo on disk."""
    from bgremover.data import read_split

    return CCP / "images" / f"{read_split(CCP / 'splits' / 'test.txt')[0]}.jpg"


@pytest.fixture(scope="session")
def selfie():
    """MediaPipe Selfie (the fast-plus tier's peer); skipped where its file is not here."""
    from bgremover import WeightsUnavailableError
    from bgremover.peers import SelfieSegmenter

    try:
        return SelfieSegmenter(threads=2)
    except WeightsUnavailableError as err:
        pytest.skip(f"MediaPipe Selfie's file is not here ({err}); put it in $BGREMOVER_WEIGHTS_DIR/peers/")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A small random-init model saved with ``save_pretrained`` (for plumbing tests)."""
    from bgremover import create_model

    torch.manual_seed(0)
    model = create_model("attention_unet", "resnet18", encoder_weights=None, decoder_channels=(32, 16, 16, 8, 8))
    path = tmp_path_factory.mktemp("tiny_model")
    model.save_pretrained(path)
    return path


def load_tool(name: str, folder: str = "tools"):
    """``FOLDER/NAME.py`` as a module (tools/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, REPO / folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rng_image(height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(command: list[str], cwd: Path, env: dict[str, str], log: Path):
    """Start the app (``command``) on ``env``'s ``GRADIO_SERVER_PORT``; its process once the page answers."""
    import subprocess
    import time
    import urllib.request

    with open(log, "w") as handle:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=handle, stderr=handle)
    url = f"http://127.0.0.1:{env['GRADIO_SERVER_PORT']}/"
    deadline = time.time() + 120
    try:
        while time.time() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"app exited: {log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(url, timeout=2)
                return process
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"app did not start: {log.read_text()[-3000:]}")
    except BaseException:  # not started, or the run was stopped meanwhile: no server left behind
        process.kill()
        raise


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """``python app.py`` on the committed default model, as a subprocess on a free port."""
    import sys

    port = free_port()
    log = tmp_path_factory.mktemp("app") / "app.log"
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1", "PYTHONPATH": str(REPO)}
    process = start_app([sys.executable, "app.py"], REPO, env, log)
    yield f"http://127.0.0.1:{port}/"
    process.terminate()
    process.wait(timeout=30)


# A training config small enough for the tests: resnet18 at 64 px, batch 2, no workers.
TINY = dict(
    data=str(CCP),
    backgrounds=str(BACKGROUNDS),
    encoder="resnet18",
    encoder_weights=None,
    decoder_channels=(32, 16, 16, 8, 8),
    image_size=64,
    scales=(64, 96),
    batch_size=2,
    num_workers=0,
    val_fraction=0.25,
    w_perceptual=0.5,
    perceptual_size=None,
    progress=False,
    log_every=1,
)


@pytest.fixture(scope="session")
def subject_and_bystander(tmp_path_factory, photo_path) -> tuple[Path, np.ndarray, np.ndarray]:
    """A CCP test person pasted large on the left of a plain wall and again small on the right (a
    bystander about a third as tall): the photo's path and the two masks."""
    from bgremover.data import paste, person_crop
    from bgremover.io import read_image, read_mask

    person, mask = person_crop(
        read_image(photo_path), read_mask(photo_path.parent.parent / "masks" / f"{photo_path.stem}.png")
    )
    canvas = np.full((600, 900, 3), (186, 178, 160), np.uint8)
    masks = []
    for height, left in ((560, 60), (200, 680)):
        scale = height / person.shape[0]
        size = (round(person.shape[1] * scale), height)
        target = np.zeros(canvas.shape[:2], np.float32)
        small = cv2.resize(person, size, interpolation=cv2.INTER_AREA)
        alpha = (cv2.resize(mask, size, interpolation=cv2.INTER_LINEAR) >= 0.5).astype(np.float32)
        paste(canvas, target, small, alpha, 600 - height - 20, left)
        masks.append(target)
    path = tmp_path_factory.mktemp("subjects") / "subject_and_bystander.png"
    cv2.imwrite(str(path), canvas[..., ::-1])
    return path, masks[0], masks[1]


@pytest.fixture(scope="session")
def photos() -> list[np.ndarray]:
    """Six consecutive real DAVIS frames (a hiker walking), shrunk to 192×108."""
    paths = sorted((DATA / "davis_person" / "images").glob("hike_*.jpg"))[:6]
    return [
        cv2.cvtColor(cv2.resize(cv2.imread(str(p)), CLIP_SIZE, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
        for p in paths
    ]


def clip_with_audio(path: Path, frames: list[np.ndarray], fps: int = CLIP_FPS, **stream_options) -> Path:
    """An H.264 clip of ``frames`` with a stereo 440 Hz AAC track as long as the video."""
    import av

    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.height, video.width = frames[0].shape[:2]
        video.pix_fmt = stream_options.get("pix_fmt", "yuv420p")
        audio = container.add_stream("aac", rate=44100)
        audio.layout = "stereo"
        for rgb in frames:
            container.mux(video.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        container.mux(video.encode())
        samples = (0.2 * np.sin(2 * np.pi * 440 * np.arange(44100 * len(frames) // fps) / 44100)).astype(np.float32)
        for start in range(0, len(samples), 1024):
            frame = av.AudioFrame.from_ndarray(
                np.stack([samples[start : start + 1024]] * 2), format="fltp", layout="stereo"
            )
            frame.sample_rate, frame.pts = 44100, start
            container.mux(audio.encode(frame))
        container.mux(audio.encode())
    return path


@pytest.fixture(scope="session")
def clip(tmp_path_factory, photos) -> Path:
    return clip_with_audio(tmp_path_factory.mktemp("clip") / "hike.mp4", photos)


# A clone without ../shared runs every test that does not read it; the others skip and say what to set.
SHARED_NAMES = re.compile(r"\b(DATA|CCP|BACKGROUNDS|WEIGHTS|photo_path|ccp_stems)\b")


@functools.cache
def _shared_names(path: str) -> re.Pattern:
    """SHARED_NAMES plus the module-level names of ``path`` (and of this file) built from them
    (``INDOOR = DATA / "backgrounds_indoor"``, a config that points at CCP)."""
    names = set()
    for source in {path, __file__}:
        text = Path(source).read_text()
        for node in ast.parse(text).body:
            if isinstance(node, ast.Assign | ast.AnnAssign) and SHARED_NAMES.search(ast.get_source_segment(text, node)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return re.compile(SHARED_NAMES.pattern[:-3] + "".join(f"|{n}" for n in sorted(names)) + r")\b")


def _reads_shared(item) -> bool:
    """Whether a test or one of its fixtures names the shared data or weights."""
    pattern = _shared_names(str(item.path)) if str(item.path).endswith(".py") else SHARED_NAMES
    functions = [getattr(item, "function", None)]
    for name in item.fixturenames:
        definitions = item._fixtureinfo.name2fixturedefs.get(name, ())
        functions += [definitions[-1].func] if definitions else []  # the one in force (a module's overrides)
    for function in filter(None, functions):
        try:
            if pattern.search(inspect.getsource(function)):
                return True
        except (OSError, TypeError):
            continue
    return False


def require_shared(path: Path) -> None:
    """Skip unless ``path`` (under the shared data or weights) is here, saying what to set."""
    if not path.exists():
        pytest.skip(f"needs {path}: point BGREMOVER_DATA_DIR / BGREMOVER_WEIGHTS_DIR at copies of ../shared")


def pytest_collection_modifyitems(config, items):
    missing = [f"{name}={path}" for name, path in (("BGREMOVER_DATA_DIR", DATA), ("BGREMOVER_WEIGHTS_DIR", WEIGHTS))
               if not path.is_dir()]  # fmt: skip
    if not missing:
        return
    skip = pytest.mark.skip(
        reason=f"reads the shared data or weights, which are not here ({', '.join(missing)}): point "
        "BGREMOVER_DATA_DIR and BGREMOVER_WEIGHTS_DIR at copies of ../shared/data and ../shared/weights"
    )
    for item in items:
        if _reads_shared(item):
            item.add_marker(skip)


def scene_config(**knobs):
    """A compositor config for scene tests: one framing at a time, nothing empty, defocused or
    recoloured unless asked (the recipe's defaults draw all of those)."""
    from bgremover.composite_config import CompositeConfig

    plain = dict(empty_p=0.0, portrait_p=0.3, closeup_p=0.0, defocus_p=0.0, harmonize_p=0.0)
    return CompositeConfig(**{**plain, **knobs})


def run_validation_tool(script: str, tmp_path: Path, *args: str):
    """``python SCRIPT --config CONFIG --model fast ARGS`` from the checkout, where CONFIG's validation
    set is 3 held-out CCP photos and their 3 close-up composites: the finished process."""
    import json
    import subprocess
    import sys

    config = tmp_path / "config.json"
    settings = dict(data=str(CCP), backgrounds=[str(DATA / "backgrounds_indoor")], val_closeups=True, max_val_images=3)
    config.write_text(json.dumps(settings))
    command = [sys.executable, script, "--config", str(config), "--model", "fast", *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
