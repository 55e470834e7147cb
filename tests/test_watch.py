"""Hot folders (``bgremover cut FOLDER --watch``, :mod:`bgremover.watch`): real files, a real model, a real process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.cli import run_cli
from tests.conftest import REPO

INTERVAL = 0.05  # seconds between looks in these tests
SETTLE = 1.0  # seconds a photo must hold still before it is cut, in these tests


def photo_bytes(seed: int, size: tuple[int, int] = (48, 40)) -> bytes:
    """A small random JPEG."""
    import io

    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (*size[::-1], 3), np.uint8)).save(buffer, "JPEG")
    return buffer.getvalue()


def wait_for(condition, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


class Watcher:
    """:func:`bgremover.watch.watch_folders` in a thread, stopped on leaving the block."""

    def __init__(self, folders: list[Path], output: Path, model: Path, **options):
        from bgremover.watch import watch_folders

        self.stop = threading.Event()
        self.failures: list | None = None

        def run() -> None:
            self.failures = watch_folders(
                [str(f) for f in folders],
                output,
                str(model),
                mask=True,
                interval=INTERVAL,
                settle=SETTLE,
                stop=self.stop,
                **options,
            )

        self.thread = threading.Thread(target=run)

    def __enter__(self) -> Watcher:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive()


def test_a_watched_folder_cuts_what_lands_in_it_once_whole_and_never_its_own_outputs(tmp_path, tiny_model_dir):
    """Photos there at the start are cut at once; a photo that lands later is cut; a copy still growing is
    cut once, when it holds still (no failure for its partial states); a broken photo is reported and the
    watch goes on; hidden files are left alone; the output folder inside the watched folder is never
    read; every output is a whole PNG the size of its photo, and no temporary file is left."""
    incoming = tmp_path / "incoming"
    (incoming / "day 2").mkdir(parents=True)
    out = incoming / "cutouts"
    (incoming / "early.jpg").write_bytes(photo_bytes(0))
    with Watcher([incoming], out, tiny_model_dir) as watcher:
        assert wait_for(lambda: (out / "early.png").is_file())
        (incoming / "day 2" / "late.jpg").write_bytes(photo_bytes(1, (64, 32)))
        assert wait_for(lambda: (out / "day 2" / "late.png").is_file())

        growing = photo_bytes(2, (200, 160))
        with open(incoming / "growing.jpg", "wb") as copy:  # in pieces, with pauses shorter than SETTLE
            for start in range(0, len(growing), len(growing) // 8 + 1):
                copy.write(growing[start : start + len(growing) // 8 + 1])
                copy.flush()
                time.sleep(SETTLE * 0.1)  # two looks see each piece
        (incoming / "broken.jpg").write_bytes(b"not a photo")
        (incoming / "._early.jpg").write_bytes(b"macOS metadata")
        assert wait_for(lambda: (out / "growing.png").is_file())
        (incoming / "after.jpg").write_bytes(photo_bytes(3))
        assert wait_for(lambda: (out / "after.png").is_file())
        time.sleep(SETTLE * 2)  # more looks: nothing in cutouts/ may be taken for input
    assert [(path.name, reason) for path, reason in watcher.failures] == [
        ("broken.jpg", "broken.jpg is not an image format bgremover can read")
    ]
    written = sorted(str(path.relative_to(out)) for path in out.rglob("*") if path.is_file())
    assert written == ["after.png", "day 2/late.png", "early.png", "growing.png"]
    assert Image.open(out / "growing.png").size == (200, 160)
    assert Image.open(out / "day 2" / "late.png").size == (64, 32)


def test_a_photo_written_again_replaces_its_cut_out_only_with_overwrite(tmp_path, tiny_model_dir, capsys):
    """A photo saved again is cut again: its earlier cut-out is kept and counted as already there (not a
    failure), unless ``overwrite``, when the new cut-out (the new photo's size) replaces it."""
    incoming, out = tmp_path / "in", tmp_path / "out"
    incoming.mkdir()
    (incoming / "p.jpg").write_bytes(photo_bytes(0, (40, 40)))
    with Watcher([incoming], out, tiny_model_dir) as watcher:
        assert wait_for(lambda: (out / "p.png").is_file())
        (incoming / "p.jpg").write_bytes(photo_bytes(1, (56, 40)))
        time.sleep(SETTLE * 3)  # time for the new photo to be seen, hold still, and be cut
    assert watcher.failures == [] and Image.open(out / "p.png").size == (40, 40)
    assert f"0 of 1 images written to {out}, 1 already there (kept; --overwrite replaces it)" in capsys.readouterr().out

    with Watcher([incoming], out, tiny_model_dir, overwrite=True) as watcher:
        assert wait_for(lambda: Image.open(out / "p.png").size == (56, 40))  # the first pass, with overwrite
        (incoming / "p.jpg").write_bytes(photo_bytes(2, (40, 72)))
        assert wait_for(lambda: Image.open(out / "p.png").size == (40, 72))
    assert watcher.failures == []


def clip_frames(seed: int, count: int = 3) -> list[np.ndarray]:
    """Small random RGB frames for a clip."""
    return [np.random.default_rng(seed + i).integers(0, 256, (48, 64, 3), np.uint8) for i in range(count)]


def test_a_video_that_lands_is_cut_in_its_place_and_the_photos_go_on(tmp_path, tiny_model_dir, capsys):
    """A clip already there and one that lands later in a subfolder are cut into the output folder at their
    places (the matte as an opaque MP4, as ``bgremover cut`` writes it), every frame; a photo that lands
    after the clip is cut too; with --threshold (photos only) the videos are left and the watch says so."""
    from bgremover import probe_video, write_video

    incoming, out = tmp_path / "in", tmp_path / "out"
    (incoming / "sub").mkdir(parents=True)
    write_video(clip_frames(0), incoming / "first.mp4", fps=5)
    with Watcher([incoming], out, tiny_model_dir) as watcher:
        assert wait_for(lambda: (out / "first.mp4").is_file())
        write_video(clip_frames(10, 4), incoming / "sub" / "later.webm", fps=5)  # written whole, then renamed
        assert wait_for(lambda: (out / "sub" / "later.mp4").is_file())
        (incoming / "sub" / "after.jpg").write_bytes(photo_bytes(4))
        assert wait_for(lambda: (out / "sub" / "after.png").is_file())
    assert watcher.failures == []
    assert probe_video(out / "first.mp4").frames == 3 and probe_video(out / "sub" / "later.mp4").frames == 4
    assert (probe_video(out / "first.mp4").width, probe_video(out / "first.mp4").height) == (64, 48)
    assert "later.webm: 4 frames (64×48, 5 fps) written to" in capsys.readouterr().out

    from bgremover.options import CutOptions

    with Watcher([incoming], tmp_path / "hard", tiny_model_dir, options=CutOptions(threshold=0.5)) as watcher:
        assert wait_for(lambda: (tmp_path / "hard" / "sub" / "after.png").is_file())
    said = capsys.readouterr().err
    assert "apply to photos; 2 video(s) in the folders are left as they are" in said
    assert f"watching {incoming} for photos (Ctrl-C stops)" in said
    assert sorted(p.name for p in (tmp_path / "hard").rglob("*") if p.is_file()) == ["after.png"]


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_the_cli_watch_cuts_new_photos_and_stops_cleanly_on_ctrl_c_or_sigterm(tmp_path, tiny_model_dir, stop_signal):
    """``bgremover cut IN -o OUT --watch`` in its own process: a photo dropped in is cut (into the format
    asked for); Ctrl-C or a
    service manager's SIGTERM ends it with exit code 0, a last word and no traceback."""
    incoming, out = tmp_path / "in", tmp_path / "out"
    incoming.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "bgremover", "cut", str(incoming), "-o", str(out), "--watch", "--mask"]
    command += ["--photo-format", "webp"]
    command += ["--model", str(tiny_model_dir)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, text=True)
    said: list[str] = []  # its stderr, line by line, as it comes
    printed: list[str] = []  # and its stdout
    readers = [threading.Thread(target=lambda: said.extend(process.stderr), daemon=True)]
    readers.append(threading.Thread(target=lambda: printed.extend(process.stdout), daemon=True))
    for reader in readers:
        reader.start()
    try:
        assert wait_for(lambda: any("for photos and videos (Ctrl-C stops)" in line for line in said), timeout=120), said
        (incoming / "dropped.jpg").write_bytes(photo_bytes(5, (30, 50)))  # lands while it watches
        assert wait_for(lambda: printed or process.poll() is not None, timeout=120), said  # its summary line
        assert (out / "dropped.webp").is_file(), said
        process.send_signal(stop_signal)
        process.wait(timeout=60)
        for reader in readers:
            reader.join(timeout=60)
        stdout, stderr = "".join(printed), "".join(said)
    finally:
        process.kill()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and stderr.rstrip().endswith("stopped watching")
    assert f"watching {incoming} for photos and videos (Ctrl-C stops)" in stderr
    assert "1 of 1 images written to" in stdout
    assert Image.open(out / "dropped.webp").size == (30, 50) and Image.open(out / "dropped.webp").format == "WEBP"


def test_watch_refuses_what_it_cannot_watch_in_the_librarys_words(tmp_path, tiny_model_dir):
    """A file or stdin to watch, an output that is a file, stdout or the watched folder itself, the Ray engine:
    refused, exit code 2."""
    incoming = tmp_path / "in"
    incoming.mkdir()
    (incoming / "p.jpg").write_bytes(photo_bytes(0))
    model = ("--model", str(tiny_model_dir))
    refusals = {
        (str(incoming / "p.jpg"), "-o", str(tmp_path / "o")): f"--watch watches folders; {incoming / 'p.jpg'} is not",
        ("-", "-o", str(tmp_path / "o")): "--watch watches folders; - is not a folder",
        (str(incoming), "-o", str(tmp_path / "one.png")): "names one file, but several images or a folder were given",
        (str(incoming), "-o", "-"): "-o - writes one image to stdout",
        (str(incoming), "-o", str(tmp_path / "o"), "--engine", "ray"): "--watch runs in this process",
        (str(incoming), "-o", str(incoming)): "--watch writes into a folder other than the one it watches",
    }
    for args, message in refusals.items():
        result = run_cli("cut", *args, "--watch", *model)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert message in result.stderr, result.stderr
    assert not (tmp_path / "o").exists() and not (tmp_path / "one.png").exists()
    assert [path.name for path in incoming.iterdir()] == ["p.jpg"]


def test_save_whole_leaves_the_whole_file_or_nothing(tmp_path):
    """The cut-out appears under its name only when whole; a write that fails leaves neither it nor a
    temporary file."""
    from bgremover.batch import save_whole

    rgba = Image.fromarray(np.full((8, 8, 4), 200, np.uint8), "RGBA")
    save_whole(rgba, tmp_path / "a" / "cut.png")
    assert np.array_equal(np.asarray(Image.open(tmp_path / "a" / "cut.png")), np.asarray(rgba))
    with pytest.raises(OSError, match="cannot write mode RGBA as JPEG"):
        save_whole(rgba, tmp_path / "a" / "cut.jpg")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["cut.png"]
    assert Path(tmp_path / "a" / "cut.png").stat().st_size > 0
