"""The package as users install it: a wheel with its dependencies declared and both shipped models inside."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

CUT_SCRIPT = """
import sys, bgremover
from bgremover.metrics import iou
from bgremover.io import read_mask
assert bgremover.__file__.startswith(sys.argv[1]), bgremover.__file__
gt = read_mask(sys.argv[3])
for name in ("default", "fast"):
    model = bgremover.load_model(name)
    cutout = bgremover.remove_background(sys.argv[2], model=model)
    cutout.save(f"{name}.png")
    print(name, model.working_size, round(iou(model.predict(sys.argv[2]), gt), 3), type(model.network).__name__)
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    return next(out.glob("bgremover-*.whl"))


def test_wheel_declares_dependencies_and_extras(wheel):
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(next(n for n in archive.namelist() if n.endswith("METADATA"))).decode()
        names = archive.namelist()
    requires = [line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist: ")]
    core = {r for r in requires if "extra ==" not in r}
    assert {"torch>=2.4", "timm>=1.0", "pillow>=10.0", "opencv-python-headless>=4.9"} <= core
    lean = ("av", "onnx", "onnxruntime", "openvino", "pymatting", "pillow-heif", "scipy", "ray", "gradio")
    assert not [r for r in core if r.split(">")[0].split("[")[0] in lean]  # the core stays lean
    for extra, package in [
        ("runtimes", "onnxruntime"),
        ("video", "av"),
        ("heif", "pillow-heif"),
        ("matting", "pymatting"),
    ]:
        assert any(r.startswith(package) and f'extra == "{extra}"' in r for r in requires), extra
    assert any("gradio" in r and 'extra == "app"' in r for r in requires)
    assert any("albumentations" in r and 'extra == "train"' in r for r in requires)
    for tier in ("bgremover-lite2", "bgremover-fast"):
        assert f"bgremover/pretrained/{tier}/model.safetensors" in names
        assert f"bgremover/pretrained/{tier}/config.json" in names
    assert {f"bgremover/pretrained/bgremover-fast/openvino_int8.{suffix}" for suffix in ("xml", "bin")} <= set(names)
    assert any("ray[data]" in r and 'extra == "ray"' in r for r in requires)
    assert not any("ray" in r and "extra" not in r for r in requires)  # Ray only with the extra


LEAN_PROBE = """
import sys
blocked = ("av", "onnx", "onnxscript", "onnxruntime", "openvino", "ai_edge_litert", "pymatting", "pillow_heif", "scipy")
for name in blocked:
    sys.modules[name] = None  # importing it now fails as on an install without the extras
import numpy as np
from bgremover import MissingExtraError, load_model, remove_background, remove_background_video
from bgremover.io import read_image
fast = load_model("fast")
print(type(fast.network).__name__, fast.working_size)
print(remove_background(PHOTO, model=fast).mode)
for call in (lambda: remove_background_video(PHOTO, "out.webm", model=fast),
             lambda: load_model("fast", backend="onnx"),
             lambda: load_model("best"),
             lambda: load_model("fast-plus"),
             lambda: remove_background(PHOTO, model=fast, foreground_estimation=True)):
    try:
        call()
    except MissingExtraError as err:
        print(err)
"""


def test_the_core_cuts_photos_without_the_extras_and_names_the_extra_each_missing_part_needs(tmp_path):
    photo_path = sorted((REPO / "bgremover_app" / "examples").glob("*.jpg"))[0]  # a committed, credited photo
    done = subprocess.run(
        [sys.executable, "-c", LEAN_PROBE.replace("PHOTO", repr(str(photo_path)))],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO), "BGREMOVER_CACHE": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[:2] == ["AttentionUNet 256", "RGBA"]  # PyTorch: backend="auto" without the runtimes extra
    assert lines[2:] == [
        "reading and writing video needs av: pip install 'bgremover[video]'",
        "the onnx backend needs onnxruntime: pip install 'bgremover[runtimes]'",
        "the U²-Net peer needs onnxruntime: pip install 'bgremover[runtimes]'",
        "the MediaPipe Selfie peer needs ai_edge_litert: pip install 'bgremover[runtimes]'",
        "foreground estimation needs pymatting: pip install 'bgremover[matting]'",
    ]


def test_an_installed_package_has_no_checkout_models(installed, tmp_path):
    probe = "import bgremover.hub as h, bgremover.pretrained as p; print(h.MODELS_DIR, p.PRETRAINED_DIR.is_dir())"
    env = {"PYTHONPATH": str(installed), "HF_HUB_OFFLINE": "1", "PATH": ""}
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.stdout.split() == ["None", "True"], done.stderr[-2000:]  # not site-packages/models


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """The wheel installed (without its dependencies, which this environment has) into its own folder."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    return target


def test_installed_wheel_cuts_a_photo_with_both_models_outside_the_checkout(installed, tmp_path, photo_path):
    target = installed
    work = tmp_path / "elsewhere"
    work.mkdir()
    mask = photo_path.parent.parent / "masks" / f"{photo_path.stem}.png"
    env = {"PYTHONPATH": str(target), "BGREMOVER_CACHE": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1", "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", CUT_SCRIPT, str(target), str(photo_path), str(mask)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line.split() for line in done.stdout.splitlines() if line.startswith(("default ", "fast "))]
    scores = {name: (int(size), float(score)) for name, size, score, _ in lines}
    assert scores["default"][0] == 512 and scores["fast"][0] == 256
    assert {name: network for name, _, _, network in lines}["fast"] == "FixedSizeNetwork"  # its int8 file
    assert all(score > 0.8 for _, score in scores.values())
    assert (work / "default.png").stat().st_size > 10_000 and (work / "fast.png").stat().st_size > 10_000


def test_installed_wheel_serves_the_app_outside_the_checkout(wheel, installed, tmp_path, photo_path):
    import urllib.request

    import httpx

    from tests.conftest import free_port, start_app

    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        scripts = archive.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert {"bgremover_app/app.py", "bgremover_leaderboard/results/web_people.json"} <= names
    assert "bgremover-app = bgremover_app.app:main" in scripts
    work = tmp_path / "elsewhere"
    work.mkdir()
    port = free_port()
    env = {
        "PYTHONPATH": str(installed),
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "BGREMOVER_CACHE": str(tmp_path / "cache"),
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "PATH": "",
    }
    process = start_app([str(installed / "bin" / "bgremover-app")], work, env, tmp_path / "app.log")
    try:
        url = f"http://127.0.0.1:{port}/"
        assert "bgremover" in urllib.request.urlopen(url, timeout=10).read().decode()
        files = {"file": (photo_path.name, photo_path.read_bytes())}
        response = httpx.post(url + "api/remove", files=files, timeout=120)
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"
        config = urllib.request.urlopen(url + "config", timeout=10).read().decode()
        assert "ours:bgremover-fast" in config  # the Leaderboard tab found its committed results
    finally:
        process.terminate()
        process.wait(timeout=30)


APP_SIDE = {"bgremover_leaderboard", "bgremover_app", "app", "gradio", "gradio_client", "plotly", "spaces"}


def test_core_library_imports_nothing_app_side():
    import ast

    for path in sorted((REPO / "bgremover").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
            bad = {name.split(".")[0] for name in names} & APP_SIDE
            assert not bad, f"{path.relative_to(REPO)} imports {bad}"


def test_import_and_help_do_not_load_torch():
    probe = (
        "import sys, bgremover, bgremover.cli; bgremover.cli.build_parser(); "
        "print(sorted({'torch', 'cv2', 'timm', 'ray', 'pyarrow'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True)
    assert done.stdout.strip() == "[]"
    errors = subprocess.run(
        [
            sys.executable,
            "-c",
            "import bgremover as b; print(issubclass(b.BadImageError, b.BgremoverError) and issubclass(b.BadImageError,"
            " ValueError), b.load_model.__module__, b.cut_with_ray.__module__)",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    assert errors.stdout.split() == [
        "True",
        "bgremover.models",
        "bgremover.ray_cut",
    ]  # names still resolve, on first use


PURE_MODULES = (  # image, compositing and video helpers, the registries and the server's monitor
    "bgremover.compose",
    "bgremover.deploy.openvino_int8",
    "bgremover.extras",
    "bgremover.factory",
    "bgremover.frames",
    "bgremover.imageops",
    "bgremover.io",
    "bgremover.options",
    "bgremover.pretrained",
    "bgremover.subjects",
    "bgremover.temporal",
    "bgremover.video_io",
    "bgremover.serve.monitor",
)


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_modules_import_without_torch(module):
    probe = f"import sys, {module}; print(sorted({{'torch', 'timm', 'torchvision'}} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True)
    assert done.stdout.strip() == "[]", module


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module → the package's modules it imports, anywhere in its body (a function's import too), except
    under ``if TYPE_CHECKING:``."""
    import ast

    modules = {
        ".".join(p.relative_to(package.parent).with_suffix("").parts).removesuffix(".__init__"): p
        for p in package.rglob("*.py")
    }
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        typing_only = {
            id(sub)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for sub in ast.walk(node)
        }
        targets = set()
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                targets |= {
                    f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                    for a in node.names
                }
        graph[name] = {target for target in targets if target in modules and target != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_cycle_finder_on_a_known_graph():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]] and cycles({"a": {"b"}, "b": set()}) == []


def test_the_library_has_no_import_cycle():
    """Dependencies point one way: no module imports, even inside a function, one that imports it back."""
    graph = import_graph(REPO / "bgremover")
    assert graph["bgremover.inference"].isdisjoint({"bgremover.video", "bgremover.fusion", "bgremover.models"})
    assert cycles(graph) == []


def test_code_is_ruff_clean():
    for command in (["check", "."], ["format", "--check", "."]):
        done = subprocess.run([sys.executable, "-m", "ruff", *command], capture_output=True, text=True, cwd=REPO)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]
