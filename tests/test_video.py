"""Video: each output format decodes back right, alpha equals per-frame predict, stabilisation, bad clips."""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys
import time
import zipfile
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from bgremover import BadVideoError, load_model, probe_video, read_frames, remove_background_video, write_video
from bgremover.frames import predict_frames
from bgremover.temporal import TemporalSmoother, smooth_alpha
from tests.conftest import CLIP_FPS as FPS
from tests.conftest import CLIP_SIZE as SIZE
from tests.conftest import REPO, clip_with_audio


@pytest.fixture(scope="module")
def fast():
    return load_model("fast", device="cpu", backend="torch")


@pytest.fixture(scope="module")
def decoded(clip) -> list[np.ndarray]:
    return [rgb for rgb, _ in read_frames(clip)]


def decode_rgba(path: Path) -> tuple[list[np.ndarray], av.container.InputContainer]:
    """Every frame as RGBA (VP9's alpha needs libvpx's decoder), and the stream's facts."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        codec = (
            av.CodecContext.create("libvpx-vp9", "r") if stream.codec_context.name == "vp9" else stream.codec_context
        )
        frames = [f.to_ndarray(format="rgba") for packet in container.demux(stream) for f in codec.decode(packet)]
        facts = dict(rate=stream.average_rate, audio=[s.codec_context.name for s in container.streams.audio])
    return frames, facts


def zip_frames(path: Path) -> list[np.ndarray]:
    with zipfile.ZipFile(path) as archive:
        names = sorted(n for n in archive.namelist() if n.endswith(".png"))
        return [cv2.imdecode(np.frombuffer(archive.read(n), np.uint8), cv2.IMREAD_UNCHANGED) for n in names]


@pytest.mark.parametrize(
    ("name", "background", "alpha_channel", "audio"),
    [
        ("out.webm", "transparent", True, "opus"),
        ("out.mov", "transparent", True, "aac"),
        ("out.mp4", "greenscreen", False, "aac"),
        ("blur.webm", "blur", False, "opus"),
    ],
)
def test_each_video_format_decodes_back(tmp_path, clip, fast, decoded, name, background, alpha_channel, audio):
    result = remove_background_video(clip, tmp_path / name, background, model=fast, stabilize=False)
    frames, facts = decode_rgba(tmp_path / name)
    assert (result.frames, len(frames)) == (6, 6)
    assert frames[0].shape == (SIZE[1], SIZE[0], 4) and facts["rate"] == FPS
    assert facts["audio"] == [audio] and result.audio
    reference = fast.predict(decoded)
    for frame, alpha in zip(frames, reference, strict=True):
        if alpha_channel:  # lossy codecs: alpha within a few levels on average
            assert np.abs(frame[..., 3] / 255.0 - alpha).mean() < 0.01
        else:
            assert (frame[..., 3] == 255).all()
    if background == "greenscreen":  # where the person is surely absent, the plate is pure green
        green = frames[2][reference[2] < 0.01][:, :3].astype(int)
        assert np.abs(green - [0, 255, 0]).mean() < 8
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # nothing else left behind


def test_zip_alpha_equals_predict_on_each_frame(tmp_path, clip, fast, decoded):
    result = remove_background_video(clip, tmp_path / "frames.zip", model=fast, stabilize=False)
    frames = zip_frames(tmp_path / "frames.zip")
    assert result.frames == len(frames) == 6 and not result.audio and "no audio track" in result.notes[0]
    for k, (frame, rgb) in enumerate(zip(frames, decoded, strict=True)):
        expected = np.clip(fast.predict(rgb) * 255.0 + 0.5, 0, 255).astype(np.uint8)
        assert frame.shape == (SIZE[1], SIZE[0], 4)
        # frames go through PyTorch four at a time here and one at a time there: float rounding (~1e-7)
        # that the fast tier's guided upsampling carries to one grey level at most
        assert np.abs(frame[..., 3].astype(int) - expected).max() <= 1, f"frame {k}"
        assert np.array_equal(frame[..., 2::-1][..., :3], rgb)  # BGRA on disk: the colours are the frame's
    with zipfile.ZipFile(tmp_path / "frames.zip") as archive:
        times = archive.read("frames.csv").decode().split()
    assert times[1:3] == ["0,0.000000", "1,0.100000"]


def test_matte_video_and_zip_carry_the_alpha(tmp_path, clip, fast, decoded):
    reference = [np.clip(a * 255.0 + 0.5, 0, 255).astype(np.uint8) for a in fast.predict(decoded)]
    result = remove_background_video(clip, tmp_path / "matte.zip", "blur", model=fast, stabilize=False, mask=True)
    frames = zip_frames(tmp_path / "matte.zip")
    assert result.frames == len(frames) == 6
    for k, (frame, expected) in enumerate(zip(frames, reference, strict=True)):
        assert frame.shape == (SIZE[1], SIZE[0]) and np.array_equal(frame, expected), f"frame {k}"  # grey PNGs

    result = remove_background_video(clip, tmp_path / "matte.mp4", model=fast, stabilize=False, mask=True)
    frames, facts = decode_rgba(tmp_path / "matte.mp4")  # an opaque H.264 video: no alpha needed in .mp4
    assert result.audio and facts["audio"] == ["aac"] and len(frames) == 6
    for frame, expected in zip(frames, reference, strict=True):
        grey = frame[..., :3].astype(int)
        assert np.abs(grey - expected[..., None]).mean() < 4  # lossy, limited-range luma: a few levels
        assert np.abs(grey[..., 0] - grey[..., 2]).max() <= 3  # no colour


def test_predict_video_streams_frames_and_alphas(clip, fast, decoded):
    pairs = list(fast.predict_video(clip, batch_size=4))
    assert len(pairs) == 6
    for (frame, alpha), rgb in zip(pairs, decoded, strict=True):
        assert np.array_equal(frame, rgb)
        np.testing.assert_allclose(alpha, fast.predict(rgb), atol=1e-5)


def test_stabilize_reduces_flicker_on_a_still_scene_and_follows_a_cut():
    still = np.full((32, 32, 3), 120, np.uint8)
    smoother = TemporalSmoother(strength=0.8)
    noisy = [np.full((32, 32), v, np.float32) for v in (0.5, 0.7, 0.3, 0.7, 0.3)]
    out = [smoother(still, a) for a in noisy]
    raw_flicker = np.mean([abs(b - a).mean() for a, b in itertools.pairwise(noisy)])
    steady_flicker = np.mean([abs(b - a).mean() for a, b in itertools.pairwise(out)])
    assert steady_flicker < 0.25 * raw_flicker
    assert out[1].mean() == pytest.approx(0.8 * 0.5 + 0.2 * 0.7)
    cut = np.zeros((32, 32, 3), np.uint8)  # the picture changed everywhere (120 → 0): the new alpha, no smear
    keep = 0.8 * np.exp(-(120 / 255) / 0.1)
    np.testing.assert_allclose(smoother(cut, np.ones((32, 32), np.float32)), 1 - keep * (1 - out[-1]), atol=1e-4)
    assert keep < 0.01


def test_smooth_alpha_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="must have one shape"):
        smooth_alpha(np.zeros((4, 4)), np.zeros((4, 5)), np.zeros((4, 4)))
    with pytest.raises(ValueError, match="strength"):
        TemporalSmoother(strength=1.0)


def test_stabilized_output_differs_only_by_smoothing(clip, fast, decoded):
    steady = [a for _, a in predict_frames(fast, iter(decoded), stabilize=True)]
    raw = fast.predict(decoded)
    np.testing.assert_allclose(steady[0], raw[0])  # the first frame has nothing to follow
    assert all(np.abs(s - r).mean() < 0.05 for s, r in zip(steady, raw, strict=True))


def test_odd_sizes_ten_bit_and_rotation(tmp_path, photos, fast):
    odd = [p[:99, :171] for p in photos[:3]]
    write_video(odd, tmp_path / "odd.webm", fps=FPS)  # VP9 takes odd sides
    result = remove_background_video(tmp_path / "odd.webm", tmp_path / "odd-out.mp4", "white", model=fast)
    assert (result.width, result.height) == (171, 99) and "even" in result.notes[0]
    assert probe_video(tmp_path / "odd-out.mp4").width == 172  # H.264 4:2:0: one column repeated
    assert zip_frames_shape(remove_background_video(tmp_path / "odd.webm", tmp_path / "odd.zip", model=fast)) == (
        99,
        171,
    )
    thin = [np.ascontiguousarray(p[:64, :1]) for p in photos[:3]]  # 1×64
    write_video(thin, tmp_path / "thin.webm", fps=FPS)
    with pytest.raises(BadVideoError, match=r"thin\.webm is 1×64; frames must be at least 2×2 pixels"):
        remove_background_video(tmp_path / "thin.webm", tmp_path / "thin.zip", model=fast)
    assert not (tmp_path / "thin.zip").exists()

    ten_bit = clip_with_audio(tmp_path / "10bit.mp4", photos[:3], pix_fmt="yuv420p10le")
    assert probe_video(ten_bit).frames == 3
    assert remove_background_video(ten_bit, tmp_path / "10bit.webm", model=fast).frames == 3

    rotated = tmp_path / "rotated.mp4"
    with av.open(str(rotated), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
        stream.set_display_rotation(90)
        for rgb in photos[:2]:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        container.mux(stream.encode())
    info = probe_video(rotated)
    assert (info.width, info.height, info.rotation) == (SIZE[1], SIZE[0], 90)
    upright = [rgb for rgb, _ in read_frames(rotated)]
    assert upright[0].shape == (SIZE[0], SIZE[1], 3)
    assert np.abs(upright[0].astype(int) - np.rot90(photos[0]).astype(int)).mean() < 6  # turned, not mirrored
    assert remove_background_video(rotated, tmp_path / "rotated.zip", model=fast).height == SIZE[0]


def zip_frames_shape(result) -> tuple[int, int]:
    return zip_frames(result.path)[0].shape[:2]


def test_variable_frame_rate_keeps_timestamps(tmp_path, photos, fast):
    source = tmp_path / "vfr.mkv"
    times_ms = [0, 40, 200, 240, 600]
    with av.open(str(source), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        for t, rgb in zip(times_ms, photos, strict=False):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = t, Fraction(1, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    remove_background_video(source, tmp_path / "vfr.webm", model=fast)
    with av.open(str(tmp_path / "vfr.webm")) as container:
        seconds = [round(float(f.time), 2) for f in container.decode(video=0)]
    assert seconds == [t / 1000 for t in times_ms]
    remove_background_video(source, tmp_path / "vfr.zip", model=fast)
    with zipfile.ZipFile(tmp_path / "vfr.zip") as archive:
        assert archive.read("frames.csv").decode().split()[1:] == [
            f"{i},{t / 1000:.6f}" for i, t in enumerate(times_ms)
        ]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_text("not a video at all\n" * 50), "is not a video bgremover can read"),
        (lambda p: p.write_bytes(b""), "empty"),
    ],
)
def test_bad_files_get_clear_errors(tmp_path, fast, make, message):
    source = tmp_path / "bad.mp4"
    make(source)
    with pytest.raises(BadVideoError, match=message):
        remove_background_video(source, tmp_path / "out.webm", model=fast)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mp4"]


def test_truncated_clip_audio_only_and_limits(tmp_path, clip, fast):
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])  # MP4's index is at the end
    with pytest.raises(BadVideoError, match=r"truncated\.mp4"):
        remove_background_video(truncated, tmp_path / "t.webm", model=fast)
    audio_only = tmp_path / "tone.m4a"
    with av.open(str(clip)) as src, av.open(str(audio_only), "w", format="mp4") as dst:
        stream = dst.add_stream_from_template(src.streams.audio[0])
        for packet in src.demux(src.streams.audio[0]):
            if packet.dts is not None:
                packet.stream = stream
                dst.mux(packet)
    with pytest.raises(BadVideoError, match="has no video stream"):
        remove_background_video(audio_only, tmp_path / "a.webm", model=fast)
    with pytest.raises(BadVideoError, match=r"is 0\.6 s long; the limit is 0\.25 s"):
        remove_background_video(clip, tmp_path / "long.webm", model=fast, max_seconds=0.25)
    with pytest.raises(BadVideoError, match="no alpha channel"):
        remove_background_video(clip, tmp_path / "t.mp4", model=fast)
    with pytest.raises(BadVideoError, match=r"cannot write \.avi"):
        remove_background_video(clip, tmp_path / "t.avi", model=fast)
    (tmp_path / "exists.webm").write_bytes(b"keep me")
    with pytest.raises(BadVideoError, match="exists"):
        remove_background_video(clip, tmp_path / "exists.webm", model=fast)
    assert (tmp_path / "exists.webm").read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exists.webm", "tone.m4a", "truncated.mp4"]


def test_interrupt_leaves_no_file(tmp_path, clip, fast):
    def stop(done, total):
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        remove_background_video(clip, tmp_path / "cut.webm", model=fast, progress=stop)
    assert list(tmp_path.iterdir()) == []


SWALLOWED_CTRL_C = """
import os, signal, time
from bgremover.video_cli import interrupt_flag

class Collected:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)  # the handler runs here, inside __del__: its KeyboardInterrupt is ignored

previous = signal.getsignal(signal.SIGINT)
with interrupt_flag() as stop:
    before = stop.is_set()
    Collected()  # dropped at once
    print(before, stop.is_set())
print(signal.getsignal(signal.SIGINT) is previous)
"""


def test_ctrl_c_that_python_swallows_still_stops_the_cli():
    """An interrupt landing in a ``__del__`` is printed and ignored by Python; the CLI's flag keeps it
    (in a child process: the signal must not reach the test runner). Off the main thread no handler
    is installed and the flag stays clear."""
    import threading

    from bgremover.video_cli import interrupt_flag

    done = subprocess.run([sys.executable, "-c", SWALLOWED_CTRL_C], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True", "True"] and "KeyboardInterrupt" in done.stderr
    previous = signal.getsignal(signal.SIGINT)
    outside = []
    worker = threading.Thread(target=lambda: outside.append(interrupt_flag().__enter__().is_set()))
    worker.start()
    worker.join()
    assert outside == [False] and signal.getsignal(signal.SIGINT) is previous


def test_cli_cuts_a_video_with_progress_and_ctrl_c_leaves_nothing(tmp_path, photos):
    source = tmp_path / "clip.mp4"
    write_video(photos, source, fps=FPS)
    cli = [sys.executable, "-m", "bgremover", "cut", "--model", "fast"]
    done = subprocess.run(
        [*cli, str(source), "-o", str(tmp_path / "out.webm")], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    assert "6/6" in done.stderr and "frame/s" in done.stderr  # tqdm: frames, rate, ETA
    assert "6 frames (192×108, 10 fps) written to" in done.stdout
    assert probe_video(tmp_path / "out.webm").frames == 6
    again = subprocess.run(
        [*cli, str(source), "-o", str(tmp_path / "out.webm")], capture_output=True, text=True, cwd=REPO
    )
    assert again.returncode == 1 and "pass --overwrite" in again.stderr
    matte = subprocess.run(
        [*cli, str(source), "--mask", "-o", str(tmp_path / "out")], capture_output=True, text=True, cwd=REPO
    )
    assert matte.returncode == 0, matte.stderr  # a matte is opaque: .mp4 by default
    assert probe_video(tmp_path / "out" / "clip.mp4").frames == 6
    image_only = subprocess.run(
        [*cli, str(source), "--threshold", "0.5", "-o", str(tmp_path / "hard")],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert image_only.returncode == 2 and "--threshold and --foreground-estimation apply to images" in image_only.stderr
    assert not (tmp_path / "hard").exists()

    long_clip = tmp_path / "long.mp4"
    write_video((photos[i % 6] for i in range(3000)), long_clip, fps=25)
    process = subprocess.Popen(
        [*cli, str(long_clip), "-o", str(tmp_path / "long.webm")], cwd=REPO, stderr=subprocess.PIPE, text=True
    )
    deadline = time.time() + 120
    while time.time() < deadline and not any(p.name.endswith(".partial") for p in tmp_path.iterdir()):
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and "interrupted: nothing was written for long.mp4" in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "long.mp4", "out", "out.webm"]


def test_service_cuts_video_within_limits_and_leaves_no_stray_files(tmp_path, clip, fast, monkeypatch):
    import os

    from bgremover.serve.service import CutRequest, CutService, LiveSession

    out_dir = tmp_path / "downloads"
    service = CutService(fast, out_dir=out_dir, keep_seconds=60)
    path, info = service.cut_video(clip, CutRequest(), "mp4")  # transparent asked of MP4: a green screen
    assert path.parent == out_dir and info["frames"] == 6 and info["audio"]
    green = decode_rgba(path)[0][2][fast.predict(read_frames_list(clip)[2]) < 0.01][:, :3].astype(int)
    assert np.abs(green - [0, 255, 0]).mean() < 8
    bad = tmp_path / "bad.mov"
    bad.write_text("not a clip")
    with pytest.raises(BadVideoError, match="not a video"):
        service.cut_video(bad, CutRequest())
    monkeypatch.setenv("BGREMOVER_VIDEO_MAX_SECONDS", "0.3")
    with pytest.raises(BadVideoError, match=r"the limit is 0\.3 s"):
        service.cut_video(clip, CutRequest())
    monkeypatch.setenv("BGREMOVER_VIDEO_MAX_BYTES", "1000")
    with pytest.raises(BadVideoError, match=r"the clip is [\d,]+ bytes; the limit is 1,000 bytes"):
        service.cut_video(clip, CutRequest())
    assert [p.name for p in out_dir.iterdir()] == [path.name]  # failures leave nothing behind
    assert service.monitor.summary()["errors"] == 3
    old = time.time() - 120
    os.utime(path, (old, old))
    service.new_output("cutout", ".png")  # downloads older than keep_seconds are deleted
    assert not path.exists()

    session = LiveSession()
    frames = [service.live_frame(rgb, "greenscreen", session) for rgb in read_frames_list(clip)]
    assert frames[0].shape == (SIZE[1], SIZE[0], 3) and session.fps() > 0 and len(session.times) == 6


def read_frames_list(path: Path) -> list[np.ndarray]:
    return [rgb for rgb, _ in read_frames(path)]


@pytest.mark.parametrize("name", ["clip.mp4", "clip.webm", "alpha.webm", "alpha.mov"])
def test_written_video_says_how_its_colours_were_converted_and_reads_back_as_written(tmp_path, name):
    """Every encoded output is converted with the BT.601 matrix and tagged so (matrix, BT.709/sRGB
    primaries and transfer, limited range), at HD size too, where an untagged clip is taken for BT.709; read back,
    saturated patches come out within 3 levels (the browser's reading: tests/test_browser.py)."""
    patches = np.array([(200, 60, 60), (40, 180, 70), (60, 80, 220), (230, 200, 40)], np.uint8)
    frame = np.repeat(np.repeat(patches[None], 720, axis=0), 320, axis=1)  # 720×1280: HD
    if name.startswith("alpha"):
        frame = np.dstack([frame, np.full(frame.shape[:2], 255, np.uint8)])
    write_video([frame] * 3, tmp_path / name, fps=10)
    with av.open(str(tmp_path / name)) as container:
        first = next(container.decode(video=0))
        assert (first.colorspace, first.color_range) == (6, 1)  # the BT.601 matrix, limited range
        if not name.endswith(".mov"):  # ProRes (prores_ks) carries the matrix, not the primaries and transfer
            assert (first.color_primaries, first.color_trc) == (1, 1)
    read, _ = next(iter(read_frames(tmp_path / name)))
    assert np.abs(read[360, 160::320].astype(int) - patches).max() <= 3


def untagged_clip(path: Path, frame: np.ndarray, matrix: int) -> Path:
    """An H.264 clip whose stream names no colour matrix, its frames converted with swscale's ``matrix``
    (1 BT.709, 5 BT.601): what a camera or an editor that drops the tags writes."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10, options={"crf": "10"})
        stream.width, stream.height, stream.pix_fmt = frame.shape[1], frame.shape[0], "yuv420p"
        for pts in range(3):
            video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
            video_frame = video_frame.reformat(format="yuv420p", dst_colorspace=matrix, dst_color_range=1)
            video_frame.pts = pts
            container.mux(stream.encode(video_frame))
        container.mux(stream.encode())
    return path


@pytest.mark.parametrize("height, matrix", [(720, 1), (240, 5)], ids=["hd-bt709", "sd-bt601"])
def test_an_untagged_clip_is_read_in_the_matrix_players_assume_for_its_size(tmp_path, height, matrix):
    """A clip that does not name its matrix is read as players (Chromium: tests/test_browser.py) show it:
    BT.709 from 720 rows up, BT.601 below; read with BT.601 at every size, the HD patches moved by ~20 levels."""
    patches = np.array([(200, 60, 60), (40, 180, 70), (60, 80, 220), (230, 200, 40)], np.uint8)
    width = height * 16 // 9 // 4 * 4
    frame = np.repeat(np.repeat(patches[None], height, axis=0), width // 4, axis=1)
    clip = untagged_clip(tmp_path / "camera.mp4", frame, matrix)
    with av.open(str(clip)) as container:
        assert next(container.decode(video=0)).colorspace == 2  # unspecified
    read, _ = next(iter(read_frames(clip)))
    assert np.abs(read[height // 2, width // 8 :: width // 4].astype(int) - patches).max() <= 3
