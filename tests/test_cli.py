"""The ``bgremover`` command line on real files."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from bgremover.constants import IMAGE_SUFFIXES
from bgremover.errors import UsageError
from tests.cli import run_cli, run_cli_process
from tests.conftest import REPO
from tests.corpus import EXPECT_RESULT, expected_size, photo, write_corpus


def test_help_lists_every_subcommand():
    result = run_cli_process("--help")
    assert result.returncode == 0
    for name in ("train", "overfit", "lr-range", "grad-flow", "cv", "cut", "export", "prune", "push", "models"):
        assert name in result.stdout, name


def test_cut_help_names_every_shipped_model():
    from bgremover.pretrained import list_pretrained

    result = run_cli("cut", "--help")
    assert result.returncode == 0
    help_text = "".join(result.stdout.split())  # argparse wraps lines, also at a hyphen
    assert "best|default|fast|fast-plus(bgremovermodels)" in help_text
    assert list_pretrained() == ["best", "default", "fast", "fast-plus"]


def test_models_lists_the_registry_as_each_model_runs():
    from bgremover.pretrained import PRETRAINED

    lines = run_cli("models").stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["best", "default", "fast", "fast-plus"]
    by_name = {line.split()[0]: line for line in lines}
    assert "Fast (real-time): 256×256, backend auto, precision int8" in by_name["fast"]
    assert "Quality: long side 512, backend auto, precision default" in by_name["default"]
    assert "fuses other models" in by_name["best"] and str(PRETRAINED["best"].folder) in by_name["best"]
    assert "fuses other models" in by_name["fast-plus"] and "Fast+" in by_name["fast-plus"]
    assert [line.split()[0] for line in run_cli("models", "f*").stdout.splitlines()] == ["fast", "fast-plus"]


def test_cut_folder_keeps_structure_and_reports_bad_files(tmp_path, tiny_model_dir):
    source = tmp_path / "in"
    (source / "nested" / "deeper").mkdir(parents=True)
    photo().save(source / "a.jpg")
    photo(50, 70).save(source / "nested" / "deeper" / "b.png")
    (source / "nested" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    result = run_cli("cut", str(source), "-o", str(tmp_path / "out"), "--model", str(tiny_model_dir), "--tta")
    assert result.returncode == 1
    assert "broken.jpg" in result.stderr and "2 of 3 images" in result.stdout
    a = Image.open(tmp_path / "out" / "a.png")
    b = Image.open(tmp_path / "out" / "nested" / "deeper" / "b.png")
    assert a.mode == "RGBA" and a.size == (96, 64) and b.size == (50, 70)
    assert not (tmp_path / "out" / "nested" / "broken.png").exists()


def test_cut_mask_and_background_options(tmp_path, tiny_model_dir):
    photo().save(tmp_path / "p.jpg")
    ok = run_cli("cut", str(tmp_path / "p.jpg"), "-o", str(tmp_path / "m"), "--mask", "--model", str(tiny_model_dir))
    assert ok.returncode == 0 and Image.open(tmp_path / "m" / "p.png").mode == "L"


def test_cut_background_refine_and_multiscale_are_each_applied(tmp_path):
    """The CLI's pixels are the library's with the same options, and each option changes them."""
    crew = REPO / "bgremover_app" / "examples" / "group_apollo11_crew.jpg"  # committed, credited
    from bgremover import load_model, remove_background
    from bgremover.constants import MULTISCALE

    model = load_model("fast")
    options = {"background": "#00ff00", "refine": True, "scales": MULTISCALE}
    done = run_cli(
        "cut",
        str(crew),
        "-o",
        str(tmp_path / "c"),
        "--bg",
        "#00ff00",
        "--refine",
        "--multiscale",
        "--model",
        "fast",
    )
    assert done.returncode == 0, done.stderr
    cli = np.asarray(Image.open(tmp_path / "c" / f"{crew.stem}.png"), np.int16)
    assert cli.shape[2] == 3  # on the colour: RGB
    assert np.abs(cli - np.asarray(remove_background(crew, model=model, **options), np.int16)).max() <= 1
    for dropped in ({"refine": False}, {"scales": (1.0,)}, {"background": "#0000ff"}):
        other = np.asarray(remove_background(crew, model=model, **{**options, **dropped}), np.int16)
        assert np.abs(cli - other).max() > 20, dropped  # without that option the pixels differ


def test_cut_upsample_is_the_librarys_and_an_unknown_one_is_refused(tmp_path):
    crew = REPO / "bgremover_app" / "examples" / "group_apollo11_crew.jpg"  # committed, credited
    from bgremover import load_model, remove_background

    done = run_cli("cut", str(crew), "-o", str(tmp_path / "c.png"), "--upsample", "bilinear", "--model", "fast")
    assert done.returncode == 0, done.stderr
    cli = np.asarray(Image.open(tmp_path / "c.png"), np.int16)
    model = load_model("fast")
    assert np.abs(cli - np.asarray(remove_background(crew, model=model, upsample="bilinear"), np.int16)).max() <= 1
    guided = np.asarray(remove_background(crew, model=model, upsample="guided"), np.int16)
    assert np.abs(cli[..., 3] - guided[..., 3]).max() > 50  # along the edges the two differ
    refused = run_cli("cut", str(crew), "-o", str(tmp_path / "d.png"), "--upsample", "nearest")
    assert refused.returncode == 2 and "invalid choice: 'nearest'" in refused.stderr
    assert not (tmp_path / "d.png").exists()


@pytest.mark.parametrize("backend, precision", [("onnx", "default"), ("openvino", "int8"), ("openvino", "default")])
def test_cut_with_an_exported_backend_matches_torch(tmp_path, photo_path, backend, precision):
    """The fast tier on a real photo: a person-shaped mask, the same through every runtime, its int8
    file (the tier's own precision) included."""
    (tmp_path / "p.jpg").write_bytes(photo_path.read_bytes())
    masks = {}
    for name in ("torch", backend):
        out = tmp_path / name
        result = run_cli(
            "cut",
            str(tmp_path / "p.jpg"),
            "-o",
            str(out),
            "--mask",
            "--model",
            "fast",
            "--backend",
            name,
            "--precision",
            precision,
            BGREMOVER_CACHE=str(tmp_path / "cache"),
        )
        assert result.returncode == 0, result.stderr
        masks[name] = np.asarray(Image.open(out / "p.png"), dtype=np.int16)
    person = masks["torch"] >= 128
    assert 0.05 < person.mean() < 0.6  # a person, not a constant map
    assert np.abs(masks[backend] - masks["torch"]).mean() <= 2  # 8-bit alpha; OpenVINO may run bf16 or int8
    agree = (masks[backend] >= 128) == person
    assert agree.mean() >= 0.995


def test_corpus_through_cli(tmp_path, tiny_model_dir):
    corpus = write_corpus(tmp_path / "corpus")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    result = run_cli(
        "cut",
        str(tmp_path / "corpus"),
        "-o",
        str(tmp_path / "out"),
        "--model",
        str(tiny_model_dir),
        TMPDIR=str(scratch),
    )
    assert result.returncode == 1
    assert not any(scratch.iterdir())  # no temporary files left behind
    for name, good in EXPECT_RESULT.items():
        out = tmp_path / "out" / (corpus[name].stem + ".png")
        if not name.endswith(IMAGE_SUFFIXES):
            continue  # .html is not picked up from folders
        if good:
            assert Image.open(out).size == expected_size(name), name
        else:
            assert not out.exists() and name in result.stderr, name
    assert np.asarray(Image.open(tmp_path / "out" / "la.png")).shape[-1] == 4


def test_prune_writes_a_loadable_model_with_the_stated_zeros(tmp_path, tiny_model_dir):
    import json

    from bgremover.hub import load_network

    result = run_cli("prune", "--model", str(tiny_model_dir), "--amount", "0.25", "-o", str(tmp_path / "pruned"))
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout.strip().splitlines()[-1])
    pruned = load_network(tmp_path / "pruned")
    convs = [m for m in pruned.modules() if isinstance(m, torch.nn.Conv2d)]
    zero = sum(int((m.weight.flatten(1).abs().sum(1) == 0).sum()) for m in convs)  # counted from the saved file
    measured = zero / sum(m.weight.shape[0] for m in convs)
    assert abs(measured - 0.25) < 0.03 and printed["zeroed_channel_fraction"] == pytest.approx(measured, abs=0.01)


def test_cut_main_subject_matches_the_library(tmp_path, subject_and_bystander):
    from bgremover import load_model

    path, _, bystander = subject_and_bystander
    ok = run_cli("cut", str(path), "-o", str(tmp_path), "--mask", "--subject", "main")
    assert ok.returncode == 0, ok.stderr
    written = np.asarray(Image.open(tmp_path / path.name)) / 255.0
    expected = load_model(device="cpu").predict(path, subject="main")
    assert np.abs(written - expected).max() <= 1 / 255 + 1e-6 and written[bystander > 0.5].max() == 0.0
    refused = run_cli("cut", str(path), "-o", str(tmp_path / "x"), "--subject", "largest")
    assert refused.returncode == 2 and "invalid choice: 'largest'" in refused.stderr


def test_inputs_with_one_stem_get_distinct_outputs(tmp_path, tiny_model_dir):
    photo().save(tmp_path / "photo.webp")
    photo().save(tmp_path / "photo.tiff")
    ok = run_cli("cut", str(tmp_path / "photo.webp"), str(tmp_path / "photo.tiff"), "-o", str(tmp_path / "out"))
    assert ok.returncode == 0, ok.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["photo.tiff.png", "photo.webp.png"]
    assert "2 of 2 images written" in ok.stdout


def test_cut_never_replaces_an_input_and_replaces_an_output_only_with_overwrite(tmp_path, tiny_model_dir):
    photo().save(tmp_path / "selfie.png")
    photo(70, 50).save(tmp_path / "other.jpg")
    original = (tmp_path / "selfie.png").read_bytes()
    model = ("--model", str(tiny_model_dir))
    for flags in ((), ("--overwrite",)):  # into the photos' own folder: selfie.png is its own output
        result = run_cli("cut", str(tmp_path / "selfie.png"), "-o", str(tmp_path), *model, *flags)
        assert result.returncode == 1 and "would replace an input photo" in result.stderr
        assert (tmp_path / "selfie.png").read_bytes() == original

    out = tmp_path / "out"
    assert run_cli("cut", str(tmp_path / "other.jpg"), "-o", str(out), *model).returncode == 0
    first = (out / "other.png").read_bytes()
    again = run_cli("cut", str(tmp_path / "other.jpg"), "-o", str(out), "--bg", "white", *model)
    assert again.returncode == 0, again.stderr  # kept and counted: a rerun resumes
    assert f"0 of 1 images written to {out}, 1 already there (kept; --overwrite replaces it)" in again.stdout
    assert (out / "other.png").read_bytes() == first
    replaced = run_cli("cut", str(tmp_path / "other.jpg"), "-o", str(out), "--bg", "white", "--overwrite", *model)
    assert replaced.returncode == 0 and Image.open(out / "other.png").mode == "RGB"


def test_cut_one_photo_into_a_named_file(tmp_path, tiny_model_dir):
    photo().save(tmp_path / "p.jpg")
    model = ("--model", str(tiny_model_dir))
    ok = run_cli("cut", str(tmp_path / "p.jpg"), "-o", str(tmp_path / "cut.webp"), *model)
    assert ok.returncode == 0 and f"written to {tmp_path / 'cut.webp'}" in ok.stdout
    webp = Image.open(tmp_path / "cut.webp")
    png = run_cli("cut", str(tmp_path / "p.jpg"), "-o", str(tmp_path / "cut.png"), *model)
    assert png.returncode == 0 and webp.format == "WEBP" and webp.mode == "RGBA"
    assert np.array_equal(np.asarray(webp), np.asarray(Image.open(tmp_path / "cut.png")))  # lossless
    jpeg = run_cli("cut", str(tmp_path / "p.jpg"), "-o", str(tmp_path / "cut.jpg"), *model)
    assert jpeg.returncode == 2 and "JPEG has no transparency" in jpeg.stderr and "Traceback" not in jpeg.stderr
    assert not (tmp_path / "cut.jpg").exists()
    white = run_cli("cut", str(tmp_path / "p.jpg"), "-o", str(tmp_path / "cut.jpg"), "--bg", "white", *model)
    assert white.returncode == 0 and Image.open(tmp_path / "cut.jpg").mode == "RGB"
    several = run_cli("cut", str(tmp_path / "p.jpg"), str(tmp_path / "cut.png"), "-o", str(tmp_path / "x.png"), *model)
    assert several.returncode == 2 and "names one file" in several.stderr and not (tmp_path / "x.png").exists()


def test_cut_pipes_stdin_to_stdout(tmp_path, tiny_model_dir):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "bgremover", "cut", "-", "--model", str(tiny_model_dir)]
    jpeg = io.BytesIO()
    photo(80, 60).save(jpeg, format="JPEG")
    piped = subprocess.run([*command, "-o", "-"], input=jpeg.getvalue(), capture_output=True, env=env, timeout=300)
    assert piped.returncode == 0, piped.stderr.decode()
    cutout = Image.open(io.BytesIO(piped.stdout))  # stdout holds the PNG and nothing else
    assert cutout.format == "PNG" and cutout.mode == "RGBA" and cutout.size == (80, 60)
    assert b"written to stdout" in piped.stderr
    folder = subprocess.run(
        [*command, "-o", str(tmp_path / "out")], input=jpeg.getvalue(), capture_output=True, env=env, timeout=300
    )
    assert folder.returncode == 0 and Image.open(tmp_path / "out" / "stdin.png").size == (80, 60)
    text = subprocess.run([*command, "-o", "-"], input=b"hello", capture_output=True, env=env, timeout=300)
    assert text.returncode == 1 and text.stdout == b"" and b"skipped stdin: the image is not an image" in text.stderr


def test_cli_errors_are_one_line_in_the_librarys_words(tmp_path, tiny_model_dir):
    (tmp_path / "empty").mkdir()
    empty = run_cli("cut", str(tmp_path / "empty"), "-o", str(tmp_path / "out"), "--model", str(tiny_model_dir))
    assert empty.returncode == 1 and "no images found in" in empty.stderr and "jpg" in empty.stderr
    photo().save(tmp_path / "p.jpg")
    for background, words in (("gone.jpg", "the background image: no such file: gone.jpg"), ("#zz", "'#zz' is not")):
        result = run_cli("cut", str(tmp_path / "p.jpg"), "-o", str(tmp_path / "out"), "--bg", background)
        assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()  # refused before any photo was cut

    result = run_cli("cut", str(tmp_path / "p.jpg"), "-o", str(tmp_path / "out"), "--model", "no-such-model")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("bgremover: error: model source 'no-such-model' is not one of")


def test_export_openvino_int8_writes_a_square_models_int8_file_and_refuses_other_runs(tmp_path, tiny_model_dir):
    import json
    import shutil

    from tests.conftest import CCP

    refused = run_cli("export", "openvino-int8", "--model", str(tiny_model_dir), "--calibration", str(CCP))
    assert refused.returncode == 2 and "the model must run square" in refused.stderr
    folder = tmp_path / "square"
    shutil.copytree(tiny_model_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "run": {"working_size": 64, "square": True}}))
    missing = run_cli("export", "openvino-int8", "--model", str(folder))
    assert missing.returncode == 2 and "needs --calibration" in missing.stderr
    xml = folder / "openvino_int8.xml"
    calibration = ("--calibration", str(CCP), str(CCP.parent / "people_extra"), "--calibration-images", "3")
    done = run_cli("export", "openvino-int8", "--model", str(folder), *calibration, "-o", str(xml))
    assert done.returncode == 0, done.stderr
    assert "(64×64 inputs)" in done.stdout and "FakeQuantize" in xml.read_text() and xml.with_suffix(".bin").is_file()


def test_export_int8_calibrates_on_a_folder_of_photos_and_refuses_bad_folders_before_writing(tmp_path, tiny_model_dir):
    """``--calibration`` takes any folder of photos (subfolders too, no masks); a folder that is missing or
    holds no photos is refused in the library's words before anything is written, and a broken photo
    leaves no int8 file."""
    import json
    import shutil

    examples = REPO / "bgremover_app" / "examples"
    photos = tmp_path / "my photos"
    (photos / "more").mkdir(parents=True)
    shutil.copy(examples / "group_six_people.jpg", photos)
    shutil.copy(examples / "hands_raised_charades.jpg", photos / "more")
    folder = tmp_path / "square"
    shutil.copytree(tiny_model_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "run": {"working_size": 64, "square": True}}))
    xml = folder / "openvino_int8.xml"

    done = run_cli("export", "openvino-int8", "--model", str(folder), "--calibration", str(photos), "-o", str(xml))
    assert done.returncode == 0, done.stderr
    assert "FakeQuantize" in xml.read_text() and xml.with_suffix(".bin").is_file()

    empty, broken = tmp_path / "empty", tmp_path / "broken"
    empty.mkdir()
    broken.mkdir()
    (broken / "cut-short.jpg").write_bytes((examples / "group_six_people.jpg").read_bytes()[:300])
    refusals = {  # checked before anything is written
        str(tmp_path / "nowhere"): "bgremover: error: --calibration takes folders of photos; ",
        str(empty): f"bgremover: error: --calibration: no photos in {empty}",
    }
    for bad, message in refusals.items():
        for export in (("openvino-int8", "--model", str(folder)), ("onnx", "--model", str(folder), "--int8")):
            output = tmp_path / ("out.xml" if export[0] == "openvino-int8" else "out.onnx")
            result = run_cli("export", *export, "--calibration", str(photos), bad, "-o", str(output))
            assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
            assert message in result.stderr.splitlines()[-1], result.stderr
            assert not any(tmp_path.glob("out*"))
    # A photo is read when calibration reaches it: no int8 file then, and the error names the photo.
    broken_message = "bgremover: error: cut-short.jpg is corrupt or truncated"
    result = run_cli("export", "openvino-int8", "--model", str(folder), "--calibration", str(broken), "-o", str(xml))
    assert result.returncode == 2 and result.stderr.splitlines()[-1].startswith(broken_message), result.stderr
    assert "FakeQuantize" in xml.read_text()  # the int8 file written above is still whole
    onnx = tmp_path / "model.onnx"
    result = run_cli("export", "onnx", "--model", str(folder), "--int8", "--calibration", str(broken), "-o", str(onnx))
    assert result.returncode == 2 and result.stderr.splitlines()[-1].startswith(broken_message), result.stderr
    assert onnx.is_file() and not onnx.with_name("model-int8.onnx").exists()
    zero = run_cli(
        "export",
        "openvino-int8",
        "--model",
        str(folder),
        "--calibration",
        str(photos),
        "--calibration-images",
        "0",
        "-o",
        str(tmp_path / "zero.xml"),
    )
    assert zero.returncode == 2 and "--calibration-images must be at least 1, got 0" in zero.stderr


def test_cut_threshold_and_foreground_estimation_match_the_library(tmp_path, photo_path):
    """``--threshold`` writes a hard mask, ``--foreground-estimation`` the library's spill-free colours."""
    from bgremover import load_model, remove_background

    (tmp_path / "p.jpg").write_bytes(photo_path.read_bytes())
    model = load_model("fast")
    hard = run_cli(
        "cut", str(tmp_path / "p.jpg"), "-o", str(tmp_path / "m.png"), "--mask", "--model", "fast", "--threshold", "0.7"
    )
    assert hard.returncode == 0, hard.stderr
    written = np.asarray(Image.open(tmp_path / "m.png"))
    assert np.array_equal(written, np.where(model.predict(tmp_path / "p.jpg") >= 0.7, 255, 0))
    clean = run_cli(
        "cut", str(tmp_path / "p.jpg"), "-o", str(tmp_path / "c.png"), "--model", "fast", "--foreground-estimation"
    )
    assert clean.returncode == 0, clean.stderr
    expected = remove_background(tmp_path / "p.jpg", model=model, foreground_estimation=True)
    plain = np.asarray(remove_background(tmp_path / "p.jpg", model=model)).astype(int)
    got = np.asarray(Image.open(tmp_path / "c.png")).astype(int)
    assert np.abs(got - np.asarray(expected).astype(int)).max() <= 1
    assert np.abs(got[..., :3] - plain[..., :3]).max() > 20  # the edge colours did change
    refused = run_cli("cut", str(tmp_path / "p.jpg"), "-o", str(tmp_path / "x"), "--threshold", "1.5")
    assert refused.returncode == 2 and "bgremover: error: threshold must be between 0 and 1" in refused.stderr
    assert not (tmp_path / "x").exists()


def test_outputs_that_cannot_be_written_are_refused_before_any_cut(tmp_path, tiny_model_dir, clip):
    """A file where the output folder should be, an output under a file, a photo into a .gif or .webm,
    a video into an image file or stdout: one line each, exit 2, nothing written or replaced."""
    source = tmp_path / "a.jpg"
    photo().save(source)
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me")
    model = ("--model", str(tiny_model_dir))
    cases = [
        ((str(source), "-o", str(notes)), "notes.txt is a file"),
        ((str(source), "-o", str(notes / "out.png")), "notes.txt is a file"),
        ((str(source), "-o", str(tmp_path / "out.gif")), "photos are written as .png, .webp or .jpg"),
        ((str(source), "-o", str(tmp_path / "out.webm")), "photos are written as .png, .webp or .jpg"),
        ((str(clip), "-o", str(tmp_path / "out.png")), "a video is written as a .webm, .mov, .mp4 or .zip"),
        ((str(clip), "-o", "-"), "a video is written as a .webm, .mov, .mp4 or .zip"),
        ((str(clip), "-o", str(notes / "x.webm")), "notes.txt is a file"),
    ]
    for args, words in cases:
        result = run_cli("cut", *args, *model)
        assert result.returncode in (1, 2) and words in result.stderr, (args, result.stderr[-500:])
        assert "Traceback" not in result.stderr, args
    assert notes.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jpg", "notes.txt"]  # no folder made, nothing written


def test_overwrite_never_replaces_an_input_through_a_hard_link(tmp_path, tiny_model_dir):
    source = tmp_path / "in" / "a.png"
    source.parent.mkdir()
    photo().save(source)
    before = source.read_bytes()
    (tmp_path / "out").mkdir()
    os.link(source, tmp_path / "out" / "a.png")  # the output's name is the input under another path
    result = run_cli("cut", str(source), "-o", str(tmp_path / "out"), "--overwrite", "--model", str(tiny_model_dir))
    assert result.returncode == 1 and "would replace an input photo" in result.stderr
    assert source.read_bytes() == before


@pytest.mark.parametrize(
    "args, words",
    [
        (("--model", "someone/nomodel"), "is not in the local Hugging Face cache"),
        (("--device", "banana"), "unknown device 'banana'"),
        (("--bg", "rgb(300,0,0)"), "outside 0-255"),
    ],
)
def test_bad_model_device_and_colour_are_one_line(tmp_path, args, words):
    source = tmp_path / "a.jpg"
    photo().save(source)
    result = run_cli_process("cut", str(source), "-o", str(tmp_path / "out"), *args, HF_HUB_OFFLINE="1")
    assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_unreadable_folders_and_files_are_reported_by_name(tmp_path):
    """A subfolder that cannot be listed and a photo that cannot be opened are named with the reason
    (exit 1), the readable photo is cut. Run as an unprivileged user: root reads everything."""
    import shutil
    import tempfile

    top = Path(tempfile.mkdtemp(prefix="bgremover-perm-"))
    try:
        (top / "in" / "locked").mkdir(parents=True)
        photo().save(top / "in" / "ok.jpg")
        photo().save(top / "in" / "locked" / "hidden.jpg")
        photo().save(top / "in" / "secret.jpg")
        for path in (top, top / "in"):
            path.chmod(0o777)
        (top / "in" / "locked").chmod(0o000)
        (top / "in" / "secret.jpg").chmod(0o000)
        command = [sys.executable, "-m", "bgremover", "cut", str(top / "in"), "-o", str(top / "out"), "--model", "fast"]
        if os.geteuid() == 0:
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        env = {**os.environ, "PYTHONPATH": str(REPO), "BGREMOVER_CACHE": str(top / "cache"), "HOME": str(top)}
        result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
        assert result.returncode == 1, result.stderr[-1500:]
        assert f"skipped {top / 'in' / 'locked'}: cannot list the folder: permission denied" in result.stderr
        assert "secret.jpg cannot be read: permission denied" in result.stderr
        assert (top / "out" / "ok.png").is_file() and not (top / "out" / "secret.png").exists()
    finally:
        (top / "in" / "locked").chmod(0o755)
        shutil.rmtree(top, ignore_errors=True)


def test_library_errors_are_one_line_and_bugs_keep_their_traceback(tmp_path, capsys, monkeypatch):
    import bgremover.batch
    from bgremover import cli

    photo_file = tmp_path / "photo.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(photo_file)
    assert cli.main(["cut", str(photo_file), "-o", str(tmp_path / "out"), "--threshold", "2"]) == 2
    err = capsys.readouterr().err
    assert err == "bgremover: error: threshold must be between 0 and 1 (0 keeps the soft alpha), got '2.0'\n"

    def broken(*args, **kwargs):  # a bug inside a command: a plain ValueError, not a library error
        return int("not a number")

    monkeypatch.setattr(bgremover.batch, "cut_files", broken)
    with pytest.raises(ValueError, match="invalid literal"):
        cli.main(["cut", str(photo_file), "-o", str(tmp_path / "out")])


def test_photos_cut_two_at_a_time_equal_one_at_a_time_and_failures_keep_the_inputs_order(tmp_path):
    """On a CPU two photos are under way at once (one in the network while the other is read, rendered
    and written): the same files as one at a time, and every failure reported in the inputs' order."""
    from bgremover.batch import cut_files
    from tests.golden import photo_paths

    folder = tmp_path / "in"
    folder.mkdir()
    sources = [Image.open(path).convert("RGB") for path in photo_paths()]
    broken = {3: b"not an image", 8: b"", 9: b"\xff\xd8 cut short"}
    for i in range(12):
        if i in broken:
            (folder / f"p{i:02d}.jpg").write_bytes(broken[i])
        else:
            sources[i % len(sources)].resize((64 + 8 * i, 96 - 2 * i)).save(folder / f"p{i:02d}.png")
    runs = {}
    for name, in_flight in (("one", 1), ("default", None)):
        out = tmp_path / name
        out.mkdir()
        (out / "p05.png").write_bytes(b"an earlier output")  # refused before the network, in its place
        failures = cut_files([str(folder)], out, "fast", in_flight=in_flight)
        runs[name] = [(p.name, why.replace(str(out), "OUT")) for p, why in failures]
    assert runs["one"] == runs["default"]
    assert [name for name, _ in runs["default"]] == ["p03.jpg", "p08.jpg", "p09.jpg"]  # p05's output is kept
    with pytest.raises(UsageError, match="in_flight must be 1 or more"):
        cut_files([str(folder)], tmp_path / "none", "fast", in_flight=0)
    assert not (tmp_path / "none").exists()
    assert (tmp_path / "default" / "p05.png").read_bytes() == b"an earlier output"
    written = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert written == sorted(p.name for p in (tmp_path / "default").iterdir()) and len(written) == 9
    for name in written:
        if name != "p05.png":
            a = np.asarray(Image.open(tmp_path / "one" / name))
            np.testing.assert_array_equal(a, np.asarray(Image.open(tmp_path / "default" / name)))


def test_a_folder_is_cut_without_its_hidden_files_or_the_output_folder_inside_it(tmp_path, tiny_model_dir):
    """``cut photos -o photos/cutouts`` run twice cuts the photos, never the cut-outs of the first run,
    and leaves hidden files alone (a copy in progress, macOS's ``._photo.jpg``), as the Ray engine's
    listing does for local folders and URIs."""
    from bgremover.batch import collect_inputs
    from bgremover.ray_cut import list_photos

    photos = tmp_path / "photos"
    (photos / ".partial").mkdir(parents=True)
    for name in ("a.jpg", "._a.jpg", ".partial/b.jpg"):
        Image.fromarray(np.full((20, 30, 3), 90, np.uint8)).save(photos / name, "JPEG")
    out = photos / "cutouts"
    for _ in range(2):
        result = run_cli("cut", str(photos), "-o", str(out), "--model", str(tiny_model_dir), "--overwrite")
        assert result.returncode == 0, result.stderr
        assert "1 of 1 images written" in result.stdout
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == ["a.png"]
    assert collect_inputs([str(photos)], exclude=out) == [(photos / "a.jpg", Path("a.png"))]
    assert [p for p, _ in collect_inputs([str(photos)])] == [photos / "a.jpg", out / "a.png"]
    assert collect_inputs([str(photos / "._a.jpg")]) == [(photos / "._a.jpg", Path("._a.png"))]  # named: taken
    local = list_photos([str(photos)], exclude=out)[0]
    assert local == [(str(photos / "a.jpg"), "a.png")]
    assert list_photos([photos.as_uri()])[0] == [
        (photos.as_uri() + "/a.jpg", "a.png"),
        (out.as_uri() + "/a.png", "cutouts/a.png"),
    ]


def test_photo_format_writes_a_folders_cut_outs_as_webp_or_jpeg_and_refuses_what_it_cannot_write(tmp_path, photo_path):
    """``--photo-format webp`` writes the PNG run's picture exactly (lossless, with alpha, the colour under
    transparent pixels kept); ``jpg`` over a background is the PNG run's picture within JPEG's loss; a
    transparent JPEG, a named file or stdout as the output, and the Ray engine are refused in the
    library's words before anything is written."""
    photos = tmp_path / "photos"
    (photos / "sub").mkdir(parents=True)
    (photos / "sub" / "p.jpg").write_bytes(photo_path.read_bytes())
    runs = {
        "png": ("--bg", "transparent"),
        "webp": ("--bg", "transparent", "--photo-format", "webp"),
        "png-white": ("--bg", "white"),
        "jpg": ("--bg", "white", "--photo-format", "jpg"),
    }
    for name, extra in runs.items():
        result = run_cli("cut", str(photos), "-o", str(tmp_path / name), "--model", "fast", *extra)
        assert result.returncode == 0, result.stderr
    png = np.asarray(Image.open(tmp_path / "png" / "sub" / "p.png"))
    webp = Image.open(tmp_path / "webp" / "sub" / "p.webp")
    assert webp.format == "WEBP" and webp.mode == "RGBA"
    webp = np.asarray(webp)
    assert (png[..., 3] == 0).mean() > 0.2  # transparent pixels, whose colour WebP keeps only when told to
    np.testing.assert_array_equal(webp, png)  # the same alpha, and the same colour everywhere
    jpeg = Image.open(tmp_path / "jpg" / "sub" / "p.jpg")
    assert jpeg.format == "JPEG" and jpeg.mode == "RGB"
    white = np.asarray(Image.open(tmp_path / "png-white" / "sub" / "p.png").convert("RGB")).astype(np.float32)
    assert np.abs(np.asarray(jpeg).astype(np.float32) - white).mean() < 2.0  # quality 95
    refusals = {
        ("-o", str(tmp_path / "t"), "--photo-format", "jpg"): "JPEG has no transparency; write png or webp",
        ("-o", str(tmp_path / "one.webp"), "--photo-format", "jpg", "--bg", "white"): "names a file, in its suffix",
        ("-o", "-", "--photo-format", "webp"): "the photo format applies to an output folder; -o - writes PNG",
        ("-o", str(tmp_path / "r"), "--photo-format", "webp", "--engine", "ray"): "the Ray engine writes PNG",
    }
    for args, message in refusals.items():
        single = str(photos / "sub" / "p.jpg") if "-" in args or "one.webp" in args[1] else str(photos)
        result = run_cli("cut", single, *args, "--model", "fast")
        assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not any((tmp_path / name).exists() for name in ("t", "one.webp", "r"))
    clip = run_cli("cut", str(tmp_path / "clip.mp4"), "-o", str(tmp_path / "v"), "--photo-format", "webp")
    assert clip.returncode == 2 and "a video's is set by --format" in clip.stderr, clip.stderr


def test_ctrl_c_in_a_folder_leaves_only_whole_files(tmp_path):
    """Stopped mid-folder, the photos under way finish their files and the rest never start: every file
    written opens as a whole PNG, nothing half-written is left, and the exit code is 130."""
    import signal

    from tests.golden import photo_paths

    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    sources = [Image.open(path).convert("RGB") for path in photo_paths()]
    for i in range(400):
        sources[i % len(sources)].resize((320, 240)).save(folder / f"p{i:03d}.jpg")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "bgremover", "cut", str(folder), "-o", str(out), "--model", "fast"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    deadline = time.monotonic() + 120
    while len(list(out.glob("*.png"))) < 5 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err.decode()[-2000:]
    written = sorted(out.iterdir())
    assert 5 <= len(written) < 400
    for path in written:
        assert path.suffix == ".png"
        Image.open(path).load()  # a cut-short PNG raises here


def test_photos_cut_in_batches_equal_photos_cut_one_by_one(tmp_path, tiny_model_dir):
    """Batches (as on a GPU) group photos the network sees at one size; every output and failure stays."""
    from bgremover.batch import cut_files

    folder = tmp_path / "in"
    folder.mkdir()
    for i, (height, width) in enumerate([(40, 60), (40, 60), (64, 48), (40, 60), (30, 30)]):
        Image.fromarray(np.random.default_rng(i).integers(0, 256, (height, width, 3), np.uint8)).save(
            folder / f"p{i}.png"
        )
    (folder / "broken.jpg").write_bytes(b"not an image")
    one = cut_files([str(folder)], tmp_path / "one", str(tiny_model_dir), mask=True, batch_size=1)
    three = cut_files([str(folder)], tmp_path / "three", str(tiny_model_dir), mask=True, batch_size=3)
    assert (
        [(p.name, why) for p, why in one]
        == [(p.name, why) for p, why in three]
        == [("broken.jpg", "broken.jpg is not an image format bgremover can read")]
    )
    for i in range(5):
        a = np.asarray(Image.open(tmp_path / "one" / f"p{i}.png")).astype(int)
        b = np.asarray(Image.open(tmp_path / "three" / f"p{i}.png")).astype(int)
        assert a.shape == b.shape and np.abs(a - b).max() <= 1


def test_a_folders_videos_are_cut_with_its_photos_in_their_places(tmp_path, tiny_model_dir):
    """``cut FOLDER`` cuts the clips in it too (they were left out without a word), each at its place under
    the output folder, two clips of one name apart; run again, they are kept and counted, not failures; a
    folder of clips alone is cut; with --threshold (photos only) the clips are left and it says so; a
    folder holding clips is not cut into one file."""
    from bgremover import probe_video, write_video

    frames = [np.random.default_rng(i).integers(0, 256, (48, 64, 3), np.uint8) for i in range(3)]
    photos, clips = tmp_path / "photos", tmp_path / "clips"
    (photos / "sub").mkdir(parents=True)
    clips.mkdir()
    photo().save(photos / "p.jpg")
    write_video(frames, photos / "sub" / "clip.mp4", fps=5)
    write_video(frames[:2], photos / "sub" / "clip.mov", fps=5)
    write_video(frames, clips / "v.webm", fps=5)
    model = ("--model", str(tiny_model_dir))

    first = run_cli("cut", str(photos), "-o", str(tmp_path / "out"), *model)
    assert first.returncode == 0, first.stderr
    written = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert written == ["p.png", "sub/clip.mov.webm", "sub/clip.mp4.webm"]
    assert probe_video(tmp_path / "out" / "sub" / "clip.mp4.webm").frames == 3
    assert probe_video(tmp_path / "out" / "sub" / "clip.mov.webm").frames == 2
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*.webm")}

    again = run_cli("cut", str(photos), "-o", str(tmp_path / "out"), *model)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("already there (kept; --overwrite replaces it)") == 3
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*.webm")} == stamps

    alone = run_cli("cut", str(clips), "-o", str(tmp_path / "out2"), "--bg", "white", *model)
    assert alone.returncode == 0 and "no images found" not in alone.stderr, alone.stderr
    assert probe_video(tmp_path / "out2" / "v.mp4").frames == 3

    hard = run_cli("cut", str(photos), "-o", str(tmp_path / "out3"), "--threshold", "0.5", *model)
    assert hard.returncode == 0, hard.stderr
    assert "apply to photos; 2 video(s) in the folders are left as they are" in hard.stderr
    assert [p.name for p in (tmp_path / "out3").rglob("*") if p.is_file()] == ["p.png"]

    one = run_cli("cut", str(photos), "-o", str(tmp_path / "one.webm"), *model)
    assert one.returncode == 2 and "the folders hold videos too, which are cut into a folder" in one.stderr
    assert not (tmp_path / "one.webm").exists()
