"""The repository as a Hugging Face Space: the tree ``tools/space.py`` builds passes the Hub's rules
and the app starts from it in a fresh environment holding only the Space's requirements."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request

import numpy as np
import pytest
from PIL import Image

from tests.conftest import free_port, load_tool

space = load_tool("space")


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return space.build(tmp_path_factory.mktemp("space") / "tree")


def test_the_space_tree_passes_the_hubs_rules(tree):
    assert space.check_space(tree) == []
    meta = space.front_matter(tree / "README.md")
    assert meta["sdk"] == "gradio" and (tree / meta["app_file"]).is_file()
    assert str(meta["sdk_version"]) == space.pinned(tree / "requirements.txt", "gradio")
    weights = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*.safetensors"))
    assert weights == ["bgremover/pretrained/bgremover-fast/model.safetensors",
                       "bgremover/pretrained/bgremover-lite2/model.safetensors"]  # fmt: skip
    assert "*.safetensors" in space.lfs_patterns(tree)
    assert not (tree / "tests").exists() and not (tree / "models").exists()
    requirements = (tree / "requirements.txt").read_text()
    for development_only in ("pytest", "playwright", "ruff", "tensorboard", "nncf", "setuptools", "ray"):
        assert f"\n{development_only}" not in f"\n{requirements}", development_only


def test_the_check_names_what_the_hub_would_refuse(tree, tmp_path):
    bad = shutil.copytree(tree, tmp_path / "bad")
    (bad / "notes.json").write_text("x" * (space.MAX_PLAIN_BYTES + 1))
    (bad / "weights.dat").write_bytes(b"\0\1\2")
    readme = (bad / "README.md").read_text().replace("app_file: app.py\n", "")
    (bad / "README.md").write_text(readme)
    (bad / "requirements.txt").write_text((bad / "requirements.txt").read_text().replace("gradio==", "gradio==1"))
    assert space.check_space(bad) == [
        "README.md front matter lacks app_file",
        f"README.md says sdk_version {space.front_matter(tree / 'README.md')['sdk_version']}, requirements.txt "
        f"pins gradio 1{space.pinned(tree / 'requirements.txt', 'gradio')}",
        "notes.json is 10.0 MB and not stored through LFS",
        "weights.dat is binary and not stored through LFS",
    ]


def test_the_app_starts_from_the_space_with_only_its_requirements(tree, tmp_path):
    from gradio_client import Client, handle_file

    python = space.runtime_venv(tree / "requirements.txt", tmp_path / "venv")
    probe = subprocess.run([str(python), "-c", "import pytest"], capture_output=True, text=True)
    assert probe.returncode == 1 and "No module named 'pytest'" in probe.stderr  # only the Space's set
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("BGREMOVER_")}
    env.update(GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1", PYTHONPATH="")
    log = open(tmp_path / "app.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen([str(python), "app.py"], cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as page:
                    assert page.status == 200
                    break
            except OSError:
                time.sleep(1)
        assert server.poll() is None, (tmp_path / "app.log").read_text()[-3000:]
        photo = tmp_path / "photo.png"
        Image.open(tree / "bgremover_app" / "examples" / "group_apollo11_crew.jpg").save(photo)
        png, _ = Client(url, verbose=False).predict(handle_file(str(photo)), api_name="/cut")
        alpha = np.asarray(Image.open(png))[..., 3]
        assert 0.2 < (alpha > 127).mean() < 0.9  # three astronauts, waist up: a real cut-out
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
