"""The library API: load_model sources, predict, TTA, refinement, remove_background."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from bgremover import BadImageError, ModelNotFoundError, Segmenter, load_model, remove_background
from bgremover.compose import background_plate, compose, estimate_foreground
from bgremover.decoders.attention_unet import AttentionUNet
from bgremover.errors import UsageError
from bgremover.hub import resolve_source
from bgremover.metrics import iou
from bgremover.subjects import main_subjects
from tests.conftest import REPO, clip_with_audio, rng_image


@pytest.fixture(scope="module")
def default_model() -> Segmenter:
    return load_model(device="cpu")


@pytest.fixture(scope="module")
def tiny(tiny_model_dir) -> Segmenter:
    return load_model(tiny_model_dir, device="cpu", working_size=96)


def test_default_model_finds_the_person(default_model, photo_path):
    from bgremover.io import read_mask
    from bgremover.metrics import iou

    alpha = default_model.predict(photo_path)
    gt = read_mask(photo_path.parent.parent / "masks" / f"{photo_path.stem}.png")
    assert alpha.shape == gt.shape and alpha.dtype == np.float32
    assert alpha.min() >= 0.0 and alpha.max() <= 1.0
    assert iou(alpha, gt) > 0.8


def test_fast_tier_runs_its_int8_file_at_its_size_and_finds_the_person(photo_path, tmp_path, monkeypatch):
    """The fast tier's run block: 256² squashed, ``precision="int8"``: its int8 OpenVINO file, agreeing
    with the unquantized network and PyTorch on a real photo."""
    from bgremover.hub import run_config
    from bgremover.io import read_mask
    from bgremover.metrics import iou
    from bgremover.runtimes import EXPORTED_BACKENDS, FixedSizeNetwork, fastest_cpu_runtime, int8_file

    monkeypatch.setenv("BGREMOVER_CACHE", str(tmp_path))  # the ONNX export lands here
    fast = load_model("fast")
    run = run_config("fast")
    assert (run.precision, fast.working_size, fast.square) == ("int8", run.working_size, True)
    assert int8_file("fast") is not None and isinstance(fast.network, FixedSizeNetwork)
    assert fast.network.size == (run.working_size, run.working_size) and run.working_size <= 384
    unquantized = load_model("fast", precision="default")
    assert isinstance(unquantized.network, EXPORTED_BACKENDS[fastest_cpu_runtime()])
    by_folder = load_model(resolve_source("fast"), backend="torch")
    assert (by_folder.working_size, by_folder.square) == (run.working_size, True)
    gt = read_mask(photo_path.parent.parent / "masks" / f"{photo_path.stem}.png")
    alpha = fast.predict(photo_path)
    assert iou(alpha, gt) > 0.8
    assert iou(alpha, unquantized.predict(photo_path)) >= 0.97 and iou(alpha, by_folder.predict(photo_path)) >= 0.97
    assert fast.network._fallback is None  # every call at its own size


def test_auto_backend_is_openvino_where_the_cpu_has_bf16():
    from pathlib import Path

    from bgremover.runtimes import fastest_cpu_runtime, resolve_backend

    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.is_file():
        pytest.skip("no /proc/cpuinfo to read the CPU's flags from")
    has_bf16 = bool({"avx512_bf16", "amx_bf16"} & set(cpuinfo.read_text().split()))
    assert resolve_backend("auto") == fastest_cpu_runtime() and resolve_backend("torch") == "torch"
    assert fastest_cpu_runtime() == "openvino" if has_bf16 else fastest_cpu_runtime() in ("onnx", "openvino")


def test_default_tier_runs_the_fastest_exported_runtime_and_agrees_with_pytorch(default_model, photo_path, photos):
    """The default model's run block asks for ``backend="auto"`` at the CPU's default precision:
    OpenVINO where the CPU has bf16, else ONNX Runtime (fp32, PyTorch's answers)."""
    from bgremover.inference import run_settings
    from bgremover.runtimes import EXPORTED_BACKENDS, fastest_cpu_runtime

    assert run_settings(None) == (512, fastest_cpu_runtime(), False)
    assert isinstance(default_model.network, EXPORTED_BACKENDS[fastest_cpu_runtime()])
    torch_model = load_model(device="cpu", backend="torch")
    for image, least_iou in [(photo_path, 0.99), (photos[0], 0.95)]:  # a full photo; a 192×108 frame
        a, b = torch_model.predict(image), default_model.predict(image)
        if fastest_cpu_runtime() == "onnx":
            assert np.abs(a - b).max() < 1e-3
        else:  # bf16: the same mask but for edge pixels, which weigh more in a small frame
            assert np.abs(a - b).mean() < 0.005 and iou(b, a) >= least_iou


@pytest.mark.parametrize("square", [False, True])
def test_network_sees_long_side_or_squashed_square_and_alpha_comes_back_full_size(tiny_model_dir, square):
    segmenter = load_model(tiny_model_dir, device="cpu", working_size=96, square=square)
    seen = []
    segmenter.network.register_forward_pre_hook(lambda module, args: seen.append(tuple(args[0].shape[2:])))
    image = rng_image(150, 60)
    image[40:110, 20:40] = 255  # something to find
    alpha = segmenter.predict(image, tta=True, scales=(1.0, 0.5))
    assert alpha.shape == (150, 60)
    assert seen == ([(96, 96)] * 2 + [(48, 48)] * 2 if square else [(96, 38)] * 2 + [(48, 19)] * 2)


def test_upsampling_is_the_run_blocks_unless_a_load_or_a_call_names_one(tiny_model_dir, tmp_path):
    import cv2

    from bgremover.hub import set_run_config
    from bgremover.imageops import resize_for_network
    from bgremover.io import read_image
    from bgremover.refine import guided_upsample
    from bgremover.run_config import RunConfig

    crew = REPO / "bgremover_app" / "examples" / "group_apollo11_crew.jpg"  # committed, credited
    folder = tmp_path / "guided"
    shutil.copytree(tiny_model_dir, folder)
    set_run_config(folder, RunConfig(working_size=96, upsample="guided"))
    assert load_model(folder).upsample == "guided" and load_model(tiny_model_dir).upsample == "bilinear"
    assert load_model(folder, upsample="bilinear").upsample == "bilinear"
    for bad in (
        lambda: load_model(folder, upsample="bicubic"),
        lambda: load_model(folder).predict(crew, upsample="x"),
    ):
        with pytest.raises(UsageError, match="upsample must be one of bilinear, guided"):
            bad()
    with pytest.raises(UsageError, match="run upsample must be one of bilinear, guided, got 'lanczos'"):
        RunConfig(upsample="lanczos")

    fast = load_model("fast", upsample="bilinear")  # a real network: a map with edges to place
    image = read_image(crew)
    prob = fast._network_maps([image], False, None)[0][0]
    resized = np.clip(cv2.resize(prob, image.shape[1::-1], interpolation=cv2.INTER_LINEAR), 0, 1)
    guided = guided_upsample(image, prob, small=resize_for_network(image, 256, square=True))
    np.testing.assert_allclose(fast.predict(image, subject="all"), resized, atol=1e-6)
    np.testing.assert_allclose(fast.predict(image, subject="all", upsample="guided"), guided, atol=1e-6)
    guided_fast = load_model("fast", upsample="guided")
    np.testing.assert_allclose(guided_fast.predict(image, subject="all"), guided, atol=1e-6)
    np.testing.assert_allclose(guided_fast.predict(image, subject="all", upsample="bilinear"), resized, atol=1e-6)
    assert np.abs(guided - resized).max() > 0.3  # the two differ along the person's edge


def test_full_resolution_output_for_any_size(tiny):
    for shape in [(37, 53), (300, 120), (64, 64)]:
        assert tiny.predict(rng_image(*shape)).shape == shape


def test_list_input_is_batched_and_matches_single(tiny):
    images = [rng_image(60, 80, seed=s) for s in range(3)] + [rng_image(50, 40, seed=9)]
    alphas = tiny.predict(images)
    assert isinstance(alphas, list) and len(alphas) == 4
    for image, alpha in zip(images, alphas, strict=True):
        np.testing.assert_allclose(alpha, tiny.predict(image), atol=1e-5)


def test_flip_tta_is_flip_equivariant(photo_path):
    exact = load_model(device="cpu", backend="torch")  # fp32: bf16 rounds the two passes differently
    image = np.asarray(Image.open(photo_path).convert("RGB"))
    alpha = exact.predict(image, tta=True)
    flipped = exact.predict(np.ascontiguousarray(image[:, ::-1]), tta=True)
    np.testing.assert_allclose(flipped[:, ::-1], alpha, atol=2e-3)


def test_merge_flip_keeps_either_pass_at_the_side_edges_and_averages_inside_without_a_seam():
    from bgremover.constants import FLIP_SIDE_SHARE
    from bgremover.imageops import merge_flip

    plain = np.zeros((2, 4, 100), np.float32)
    mirrored = np.zeros_like(plain)
    plain[0, :, 97:] = 0.9  # a sliver of a person at the right edge that only the plain pass finds
    mirrored[1, :, :3] = 0.8  # one at the left edge that only the mirrored pass finds
    plain[:, :, 40:60], mirrored[:, :, 40:60] = 0.9, 0.3  # a disagreement in the middle
    band = round(100 * FLIP_SIDE_SHARE)
    merged = merge_flip(plain, mirrored)
    assert merged.shape == plain.shape and merged.dtype == np.float32
    assert band == 5  # the max weighs 1, 0.8, 0.6, 0.4, 0.2 from the frame's edge inwards
    np.testing.assert_allclose(merged[0, 0, 95:], [0, 0, 0.45 + 0.6 * 0.45, 0.45 + 0.8 * 0.45, 0.9], atol=1e-6)
    np.testing.assert_allclose(merged[1, 0, :5], [0.8, 0.4 + 0.8 * 0.4, 0.4 + 0.6 * 0.4, 0, 0], atol=1e-6)
    assert (merged[0, :, 97:] >= 0.5).all() and (merged[1, :, :3] >= 0.5).all()  # both slivers are kept
    np.testing.assert_allclose(merged[:, :, 40:60], 0.6)
    ones = np.ones((1, 1, 100), np.float32)  # one pass sure everywhere, the other nowhere: no step anywhere
    assert np.abs(np.diff(merge_flip(ones, 0 * ones), axis=-1)).max() <= 0.1 + 1e-6
    np.testing.assert_allclose(merged[:, :, band:-band], ((plain + mirrored) / 2)[:, :, band:-band])
    np.testing.assert_array_equal(merged, merge_flip(mirrored, plain))  # the passes are interchangeable
    mirror = merge_flip(plain[..., ::-1], mirrored[..., ::-1])
    np.testing.assert_array_equal(mirror[..., ::-1], merged)  # and mirroring both mirrors the answer
    assert plain.max() == np.float32(0.9) and mirrored[1, 0, 0] == np.float32(0.8)  # the inputs are untouched


def test_flip_tta_is_the_merged_plain_and_mirrored_passes(tiny):
    """predict(tta=True) on a photo at the network's size is ``merge_flip`` of the photo's own
    prediction and its mirror image's, mirrored back: the max at the frame's side edges, the mean inside."""
    from bgremover.imageops import merge_flip

    image = rng_image(72, 96, seed=3)  # 96 px long side: the tiny model's working size, no resize
    plain = tiny.predict(image, subject="all", upsample="bilinear")
    mirrored = tiny.predict(np.ascontiguousarray(image[:, ::-1]), subject="all", upsample="bilinear")[:, ::-1]
    flip = tiny.predict(image, tta=True, subject="all", upsample="bilinear")
    np.testing.assert_allclose(flip, merge_flip(plain, mirrored), atol=1e-6)
    assert np.abs(plain - mirrored)[:, :5].max() > 1e-4  # the side bands (5 % of 96 columns): the passes differ
    np.testing.assert_allclose(flip[:, [0, -1]], np.maximum(plain, mirrored)[:, [0, -1]], atol=1e-6)  # the max
    np.testing.assert_allclose(flip[:, 5:-5], ((plain + mirrored) / 2)[:, 5:-5], atol=1e-6)  # the mean inside


def test_flip_shift_moves_the_mirrored_pass_before_the_merge_as_the_run_block_says(tiny_model_dir, tmp_path):
    from bgremover.hub import run_config, set_run_config
    from bgremover.imageops import merge_flip, shift_columns
    from bgremover.run_config import RunConfig

    folder = tmp_path / "shifted"
    shutil.copytree(tiny_model_dir, folder)
    set_run_config(folder, RunConfig(working_size=96, flip_shift=0.5))
    shifted, unshifted = load_model(folder), load_model(tiny_model_dir, working_size=96)
    assert (shifted.flip_shift, unshifted.flip_shift, run_config("default").flip_shift) == (0.5, 0.0, 0.0)
    image = rng_image(72, 96, seed=4)  # at the working size: maps are the network's own
    options = dict(subject="all", upsample="bilinear")
    plain = unshifted.predict(image, **options)
    mirrored = unshifted.predict(np.ascontiguousarray(image[:, ::-1]), **options)[:, ::-1]
    moved = shift_columns(mirrored, 0.5)
    np.testing.assert_allclose(moved[:, 1:], (mirrored[:, 1:] + mirrored[:, :-1]) / 2, atol=1e-6)  # half a pixel
    np.testing.assert_allclose(shifted.predict(image, tta=True, **options), merge_flip(plain, moved), atol=1e-6)
    np.testing.assert_allclose(unshifted.predict(image, tta=True, **options), merge_flip(plain, mirrored), atol=1e-6)
    np.testing.assert_allclose(shifted.predict(image, **options), plain, atol=1e-6)  # the plain pass: unmoved
    for bad in (3.0, -2.5, "0.2", None):
        with pytest.raises(UsageError, match=r"run flip_shift must be a number of network pixels within ±2\.0"):
            RunConfig(flip_shift=bad)


def test_multiscale_and_refine_keep_range_and_interior(default_model, photo_path):
    plain = default_model.predict(photo_path, subject="all")  # the network's alpha, every region kept
    multi = default_model.predict(photo_path, scales=(0.75, 1.0, 1.25), subject="all")
    refined = default_model.predict(photo_path, refine=True, subject="all")
    assert multi.shape == refined.shape == plain.shape
    assert refined.min() >= 0 and refined.max() <= 1
    import cv2

    hard = (plain >= 0.5).astype(np.uint8)
    radius = max(2, round(max(plain.shape) / 100))  # the refinement band's default half-width
    distance = np.where(
        hard, cv2.distanceTransform(hard, cv2.DIST_L2, 5), cv2.distanceTransform(1 - hard, cv2.DIST_L2, 5)
    )
    far = distance > radius + 1
    assert far.mean() > 0.5 and np.array_equal(refined[far], plain[far])  # only the edge band changes
    assert not np.array_equal(refined, plain)
    with pytest.raises(ValueError, match="scale"):
        default_model.predict(photo_path, scales=())


@pytest.mark.parametrize("background", ["transparent", (0, 255, 0), "#0000ff", "blur", "image"])
def test_remove_background_kinds(tiny, background, tmp_path):
    image = rng_image(40, 60)
    if background == "image":
        Image.fromarray(rng_image(100, 50, seed=3)).save(tmp_path / "bg.png")
        background = str(tmp_path / "bg.png")
    out = remove_background(image, background=background, model=tiny)
    assert out.size == (60, 40)
    assert out.mode == ("RGBA" if background == "transparent" else "RGB")
    alpha = tiny.predict(image)
    if background == "transparent":
        assert np.abs(np.asarray(out)[..., 3] / 255.0 - alpha).max() <= 1 / 255 + 1e-6
    if background == (0, 255, 0):
        expected = alpha[..., None] * image + (1 - alpha[..., None]) * np.array([0, 255, 0])
        assert np.abs(np.asarray(out).astype(float) - expected).max() <= 1.0


def test_remove_background_takes_a_model_by_name_and_loads_it_once(tmp_path, tiny_model_dir):
    """``model="fast"`` (or a folder) cuts as the loaded model does, the model loaded once for a loop of
    calls; a name that is no model is refused in the library's words. The video function takes names too."""
    from bgremover import load_model, remove_background_video
    from bgremover.models import as_segmenter

    image = rng_image(40, 60)
    by_name = remove_background(image, model="fast")
    np.testing.assert_array_equal(np.asarray(by_name), np.asarray(remove_background(image, model=load_model("fast"))))
    assert as_segmenter("fast") is as_segmenter("fast") and as_segmenter(str(tiny_model_dir)).working_size == 512
    with pytest.raises(ModelNotFoundError, match="model source 'no-such-model' is not one of"):
        remove_background(image, model="no-such-model")
    frames = [rng_image(48, 64, seed=i) for i in range(3)]
    clip = clip_with_audio(tmp_path / "clip.mp4", frames)
    result = remove_background_video(clip, tmp_path / "mask.mp4", model=str(tiny_model_dir), mask=True)
    assert result.frames == 3


def test_threshold_and_foreground_estimation(tiny):
    image = rng_image(32, 32)
    hard = remove_background(image, model=tiny, threshold=0.5)
    soft = tiny.predict(image)
    assert np.array_equal(np.asarray(hard)[..., 3], np.where(soft >= 0.5, 255, 0))
    spill_free = remove_background(image, model=tiny, foreground_estimation=True)
    assert np.array_equal(np.asarray(spill_free)[..., 3], np.asarray(remove_background(image, model=tiny))[..., 3])
    soft_cut = np.asarray(remove_background(image, model=tiny))
    assert np.array_equal(np.asarray(remove_background(image, model=tiny, threshold=0.0)), soft_cut)  # 0: soft alpha
    for bad in (1.0, 1.5, -0.2, float("nan")):
        with pytest.raises(
            UsageError, match=f"threshold must be between 0 and 1 \\(0 keeps the soft alpha\\), got '{bad}'"
        ):
            remove_background(image, model=tiny, threshold=bad)


def test_foreground_estimation_takes_the_background_colour_out_of_soft_edges():
    """A red person fading into a green background: the blended edge pixels come back red."""
    ramp = np.tile(np.linspace(0.0, 1.0, 64, dtype=np.float32), (48, 1))
    red, green = np.array([220, 30, 30], np.float64), np.array([20, 200, 40], np.float64)
    image = np.clip(ramp[..., None] * red + (1 - ramp[..., None]) * green + 0.5, 0, 255).astype(np.uint8)
    edge = (ramp > 0.2) & (ramp < 0.8)
    foreground = estimate_foreground(image, ramp)
    before = np.abs(image[edge].astype(float) - red).mean()
    after = np.abs(foreground[edge].astype(float) - red).mean()
    assert before > 50 and after < 2, (before, after)  # 63 and 0.04 on this ramp
    assert np.array_equal(
        np.asarray(compose(image, ramp, "transparent", foreground_estimation=True))[..., :3], foreground
    )


def test_bad_background_is_clear():
    with pytest.raises(ValueError, match="not 'transparent'"):
        background_plate("no-such-colour", rng_image(4, 4))


def test_bad_image_raises_documented_error(tiny, tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("hello")
    with pytest.raises(BadImageError, match=r"notes\.jpg"):
        tiny.predict(path)


def test_model_sources(tiny_model_dir, tmp_path, monkeypatch):
    assert resolve_source(None).endswith("bgremover-lite2")
    assert resolve_source(str(tiny_model_dir)) == str(tiny_model_dir)
    with pytest.raises(ModelNotFoundError):
        resolve_source("../../etc/passwd")
    with pytest.raises(ModelNotFoundError):
        resolve_source(str(tmp_path))  # a folder without model files
    monkeypatch.setenv("BGREMOVER_MODEL", str(tiny_model_dir))
    assert resolve_source(None) == str(tiny_model_dir)


def test_hub_repo_id_loads_offline_from_cache(tiny_model_dir, tmp_path, monkeypatch):
    """``load_model("user/name")`` reads the Hub cache layout with HF_HUB_OFFLINE=1."""
    import huggingface_hub.constants as constants

    revision = "a" * 40
    repo = tmp_path / "hub" / "models--someone--bgremover-tiny"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(revision)
    shutil.copytree(tiny_model_dir, repo / "snapshots" / revision)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    from huggingface_hub import snapshot_download

    assert snapshot_download("someone/bgremover-tiny", cache_dir=tmp_path / "hub").endswith(revision)
    segmenter = load_model("someone/bgremover-tiny", device="cpu", working_size=96)
    reference = load_model(tiny_model_dir, device="cpu", working_size=96)
    image = rng_image(50, 70)
    np.testing.assert_array_equal(segmenter.predict(image), reference.predict(image))
    assert isinstance(segmenter.network, AttentionUNet)
    from bgremover.runtimes import int8_file

    assert int8_file("someone/bgremover-tiny") is None  # offline, and the cache has no int8 file
    for suffix in ("xml", "bin"):
        (repo / "snapshots" / revision / f"openvino_int8.{suffix}").write_text("stand-in")
    found = int8_file("someone/bgremover-tiny")
    assert found is not None and found.name == "openvino_int8.xml" and found.with_suffix(".bin").is_file()


def test_main_subject_keeps_the_subject_and_drops_the_bystander(default_model, subject_and_bystander):
    path, subject, bystander = subject_and_bystander
    everyone = default_model.predict(path, subject="all")
    main = default_model.predict(path)  # the default: main subject
    assert everyone[bystander > 0.5].mean() > 0.7  # the network finds both people
    assert main[bystander > 0.5].max() == 0.0  # the bystander is dropped
    assert np.array_equal(main[subject > 0.5], everyone[subject > 0.5])  # the subject is untouched
    assert (main <= everyone).all()
    # chosen at the network's resolution, as main_subjects chooses on the photo-size alpha
    on_photo = main_subjects(everyone) >= 0.5
    assert ((main >= 0.5) != on_photo).sum() <= 1e-3 * on_photo.sum()
    with pytest.raises(ValueError, match="subject must be one of all, main"):
        default_model.predict(path, subject="largest")


def test_hysteresis_keeps_the_same_subject_and_still_drops_a_separate_bystander(default_model, subject_and_bystander):
    path, subject, bystander = subject_and_bystander
    everyone = default_model.predict(path, subject="all")
    assert np.array_equal(main_subjects(everyone, low=0.5), main_subjects(everyone))  # low = threshold: the plain rule
    linked = main_subjects(everyone, low=0.1)
    assert linked[bystander > 0.5].max() == 0.0  # a wall between them: nothing faint links the two
    assert np.array_equal(linked[subject > 0.5], everyone[subject > 0.5])
    with pytest.raises(ValueError, match="low must be in"):
        main_subjects(everyone, low=0.7)


def test_auto_takes_the_gpu_where_torch_sees_one_and_the_cpu_runtimes_elsewhere():
    """The choice as a function of the machine (every case, on any machine) and on this machine."""
    import torch

    from bgremover.runtimes import _openvino_support, choose_runtime, resolve_backend

    for precision in ("default", "f32", "int8"):
        assert choose_runtime(precision, cuda=True, openvino=True, openvino_bf16=True) == "torch"
        assert choose_runtime(precision, cuda=False, openvino=False, openvino_bf16=False) == "onnx"
        assert choose_runtime(precision, cuda=False, openvino=True, openvino_bf16=True, exported=False) == "torch"
    assert choose_runtime("default", cuda=False, openvino=True, openvino_bf16=True) == "openvino"
    assert choose_runtime("f32", cuda=False, openvino=True, openvino_bf16=True) == "onnx"
    expected = "torch" if torch.cuda.is_available() else choose_runtime("default", False, *_openvino_support())
    assert resolve_backend("auto") == expected and resolve_backend("onnx") == "onnx"


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="no CUDA GPU on this machine")
def test_the_default_on_a_gpu_matches_the_cpu(photo_path):
    """Half precision on the GPU against PyTorch fp32 on the CPU: the masks agree."""
    from bgremover import load_model

    gpu = load_model().predict(photo_path) >= 0.5
    cpu = load_model(device="cpu", backend="torch").predict(photo_path) >= 0.5
    assert (gpu & cpu).sum() / (gpu | cpu).sum() > 0.99
