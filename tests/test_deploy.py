"""Deployment: ONNX export parity, int8 quantization, pruning, distillation."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from bgremover import create_model, load_model
from bgremover.data import SegmentationFolder
from bgremover.deploy.export import export_onnx
from bgremover.deploy.prune import prune_model
from bgremover.deploy.quantize import quantize_onnx
from bgremover.metrics import iou
from bgremover.train import TrainConfig
from bgremover_leaderboard.card import write_model_card
from tests.conftest import CCP, DATA, REPO, TINY


@pytest.fixture(scope="module")
def onnx_model(tmp_path_factory) -> Path:
    return export_onnx(None, tmp_path_factory.mktemp("onnx") / "model.onnx")


@pytest.fixture(scope="module")
def photos_and_masks() -> list[tuple[np.ndarray, np.ndarray]]:
    ccp = SegmentationFolder(CCP, split="test")
    davis = SegmentationFolder(DATA / "davis_person")
    return [ccp.load(0), ccp.load(50), davis.load(10)]


@pytest.fixture(scope="module")
def photos(photos_and_masks) -> list[np.ndarray]:
    return [rgb for rgb, _ in photos_and_masks]


def test_onnx_matches_pytorch_on_several_sizes(onnx_model, photos):
    import onnxruntime as ort

    network = load_model(device="cpu", backend="torch").network
    session = ort.InferenceSession(str(onnx_model), providers=["CPUExecutionProvider"])
    for rgb, size in zip(photos, [(320, 224), (333, 511), (480, 854)], strict=True):
        x = torch.from_numpy(np.ascontiguousarray(rgb[: size[0], : size[1]].transpose(2, 0, 1)))[None].float() / 255
        with torch.no_grad():
            expected = torch.sigmoid(network(x)).numpy()
        got = session.run(None, {"image": x.numpy()})[0]
        assert got.shape == expected.shape and np.abs(got - expected).max() < 1e-4


def test_openvino_backend_agrees_with_pytorch_on_real_photos(onnx_model, photos):
    torch_model = load_model(device="cpu", backend="torch")
    for openvino in (load_model(backend="openvino"), load_model(str(onnx_model), backend="openvino")):
        assert type(openvino.network).__name__ == "OpenVinoNetwork"
        for rgb in photos:
            a, b = torch_model.predict(rgb), openvino.predict(rgb)
            assert b.shape == a.shape and b.dtype == np.float32
            assert np.abs(a - b).mean() < 0.005 and iou(b, a) >= 0.97  # bf16 on CPUs that have it (as int8)


def test_unknown_backend_is_named_in_the_error():
    with pytest.raises(ValueError, match="unknown backend 'tensorrt': one of torch, onnx, openvino"):
        load_model(backend="tensorrt")


@pytest.fixture(scope="module")
def int8_model(onnx_model) -> Path:
    train = SegmentationFolder(CCP, split="trainval")
    calibration = (train.load(i)[0] for i in range(0, 800, 100))
    return quantize_onnx(onnx_model, onnx_model.with_name("model-int8.onnx"), calibration)


def test_int8_model_is_small_keeps_every_size_and_agrees_with_fp32(onnx_model, int8_model, photos):
    import onnxruntime as ort

    assert int8_model.stat().st_size < onnx_model.stat().st_size / 2
    session = ort.InferenceSession(str(int8_model), providers=["CPUExecutionProvider"])
    for height, width in [(288, 512), (512, 352), (300, 200)]:  # calibration ran at 512 px long side
        alpha = session.run(None, {"image": np.zeros((1, 3, height, width), np.float32)})[0]
        assert alpha.shape == (1, 1, height, width)
    fp32, quantized = load_model(str(onnx_model)), load_model(str(int8_model))
    for rgb in photos:
        a, b = fp32.predict(rgb, subject="all"), quantized.predict(rgb, subject="all")  # the networks' alphas
        assert b.shape == a.shape and b.dtype == np.float32 and b.min() >= 0 and b.max() <= 1
        # measured 0.99+ on CCP photos; on the small-subject DAVIS frame 0.86 with the 2026-12-01 model
        # (0.94-0.97 with the 2026-11-26 one): its activations lose more to int8
        assert iou(b, a) >= 0.84


def test_pytorch_int8_keeps_every_size_and_agrees_with_fp32(photos_and_masks):
    from bgremover.deploy.quantize_fx import quantize_network
    from bgremover.inference import Segmenter

    fp32 = load_model(device="cpu", backend="torch")
    train = SegmentationFolder(CCP, split="trainval")
    quantized = quantize_network(fp32.network, (train.load(i)[0] for i in range(0, 800, 100)))
    assert any(type(m).__module__.startswith("torch.ao.nn.quantized") for m in quantized.modules())
    with torch.no_grad():
        assert quantized(torch.rand(1, 3, 333, 250)).shape == (1, 1, 333, 250)
    int8 = Segmenter(quantized, device="cpu")
    # the shipped default (0.2.0): int8 against fp32 0.977 / 0.996 / 0.980 on these three photos, and against
    # the hand-cut masks within 0.02 of fp32's; a broken graph gives ~0
    for rgb, mask in photos_and_masks:
        alpha, reference = int8.predict(rgb, subject="all"), fp32.predict(rgb, subject="all")
        assert iou(alpha, reference) >= 0.95
        assert iou(alpha, mask) >= iou(reference, mask) - 0.03


@pytest.mark.parametrize("structured", [True, False])
def test_pruning_zeroes_the_stated_fraction_and_runs(structured):
    model = create_model("attention_unet", "resnet18", encoder_weights=None).eval()
    parameters = sum(p.numel() for p in model.parameters())
    report = prune_model(model, amount=0.4, structured=structured)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    if structured:  # counted here, independently of the report: output channels whose weights are all zero
        zero = sum(int((m.weight.flatten(1).abs().sum(1) == 0).sum()) for m in convs)
        measured = zero / sum(m.weight.shape[0] for m in convs)
    else:
        measured = sum(int((m.weight == 0).sum()) for m in convs) / sum(m.weight.numel() for m in convs)
    key = "zeroed_channel_fraction" if structured else "zeroed_weight_fraction"
    assert measured == pytest.approx(0.4, abs=0.03) and report[key] == pytest.approx(measured, abs=0.01)
    assert sum(p.numel() for p in model.parameters()) >= parameters  # zeroed, not removed: the shapes stay
    with torch.no_grad():
        assert torch.isfinite(model(torch.rand(1, 3, 64, 64))).all()


def test_two_step_distillation_writes_a_loadable_student(tmp_path):
    from bgremover.data import read_split
    from bgremover.train import TrainConfig, Trainer

    split = tmp_path / "split.txt"
    split.write_text("\n".join(read_split(CCP / "splits" / "trainval.txt")[:8]))
    overrides = dict(scales=(64,), w_perceptual=0.0, teacher="default", teacher_scale=1.5, teacher_flip=True)
    overrides |= dict(max_steps=2, epochs=1)
    config = TrainConfig(**{**TINY, "split": str(split), "out_dir": str(tmp_path / "student"), **overrides})
    Trainer(config).fit()
    steps = (tmp_path / "student" / "steps.jsonl").read_text()
    assert '"distill"' in steps
    student = load_model(tmp_path / "student" / "best", device="cpu", working_size=64)
    assert student.predict(np.zeros((40, 30, 3), np.uint8)).shape == (40, 30)
    card = write_model_card(tmp_path / "student" / "best", tmp_path / "student", ["misses small people"]).read_text()
    assert card.startswith("---\nlibrary_name: bgremover") and "Distilled from `default`" in card
    assert "teacher run on the same batches enlarged 1.5×, its logits averaged with its mirrored pass's." in card
    assert "| ours |" in card and "- misses small people" in card and "`ours:best` on the leaderboard" in card
    environment = json.loads((tmp_path / "student" / "environment.json").read_text())  # written by the trainer
    assert environment["cores"] == os.cpu_count() and environment["device"] == "cpu"
    precision = "bf16 autocast" if environment["autocast"] == "bfloat16" else "fp32"  # what amp ran here
    assert f"{precision} on {os.cpu_count()}-core {environment['cpu']} (torch {torch.__version__})" in card


def test_card_of_a_weight_average_names_its_models_and_the_run_it_describes(tmp_path):
    model_dir = shutil.copytree(REPO / "bgremover" / "pretrained" / "bgremover-fast", tmp_path / "soup")
    run = tmp_path / "f4"
    run.mkdir()
    (run / "config.json").write_text(json.dumps(TrainConfig(epochs=3, squash_p=1.0).to_dict()))
    (run / "epochs.jsonl").write_text(json.dumps({"epoch": 1, "step": 316, "iou": 0.9458}) + "\n")
    card = write_model_card(model_dir, run, [], averaged_from=["the old tier", "a new fine-tune"]).read_text()
    assert "of 2 models of this network: the old tier; a new fine-tune. The data and recipe above" in card
    assert "those of `f4`, the run (or one of the runs) they came from." in card
    assert "- That run's best validation IoU 0.9458 (epoch 2, step 316)." in card  # the log counts from 0
    plain = write_model_card(model_dir, run, []).read_text()
    assert "- Best validation IoU 0.9458 (epoch 2, step 316)." in plain and "- Weights:" not in plain
    (run / "epochs.jsonl").write_text(
        "".join(json.dumps({"epoch": e, "step": 158 * (e + 1), "iou": iou}) + "\n" for e, iou in ((0, 0.96), (1, 0.97)))
    )
    one = write_model_card(model_dir, run, [], epoch=1).read_text()
    assert "- Weights: the run's `epoch-1` weights (`--keep-epochs`), chosen on validation by" in one
    assert "training's own validation IoU there 0.9600 (step 158)." in one
    assert "- That run's best validation IoU 0.9700 (epoch 2, step 316)." in one
    with pytest.raises(ValueError, match="no epoch 3"):
        write_model_card(model_dir, run, [], epoch=3)


def test_card_design_section_reads_the_committed_ablations_and_cv(tmp_path):
    """Every ablation run gets a row with all six metrics per set; the CV line is the committed summary's."""
    model_dir = shutil.copytree(REPO / "bgremover" / "pretrained" / "bgremover-lite2", tmp_path / "copy")
    run = tmp_path / "run"
    run.mkdir()
    recipe = TrainConfig.from_dict(
        dict(epochs=10, occluder_p=0.3, group_p=0.35, group_max=7, group_row_p=0.6, empty_p=0.05, squash_p=0.5)
    )
    (run / "config.json").write_text(json.dumps(recipe.to_dict()))
    (run / "epochs.jsonl").write_text(json.dumps({"epoch": 9, "step": 900, "iou": 0.9}) + "\n")
    design = REPO / "bgremover_leaderboard" / "results" / "design"
    card = write_model_card(model_dir, run, [], design_dir=design).read_text()
    assert "- Occluders: 30% of the composites" in card
    assert "35% groups of 2–7, 60% of the groups standing shoulder to shoulder" in card
    assert "5% with nobody in them" in card and "- Squashed inputs: 50% of the samples" in card
    section = card.split("## What each part of the design buys")[1].split("## Intended use")[0]
    rows = [line.split(" |")[0] for line in section.splitlines() if line.startswith("| ours")]
    assert rows == ["| ours:lite2-noperc-noedge", "| ours:lite2-nogates", "| ours:resnet50-scratch"]
    assert all(line.count(" / ") == 4 * 5 + 1 for line in section.splitlines() if line.startswith("| ours"))
    cv = json.loads((design / "cv" / "cv.json").read_text())
    assert f"{cv['mean']['iou']:.3f} ± {cv['std']['iou']:.3f}" in section


def test_card_describes_the_runs_data_and_composites():
    from bgremover.train import TrainConfig
    from bgremover_leaderboard.card import data_description

    config = TrainConfig(
        data="../shared/data/ccp_person",
        extra_data=("../shared/data/people_extra",),
        backgrounds=("../shared/data/backgrounds", "../shared/data/backgrounds_indoor"),
    ).to_dict()
    text = data_description(config)
    assert "`ccp_person` `trainval` split (10 % held out for validation) plus every photo of `people_extra`" in text
    assert "30% of the samples are these real photos as they are, 70% their people pasted" in text
    assert "from `backgrounds`, `backgrounds_indoor` (each drawn equally often" in text
    assert "25% head-and-shoulders close-ups" in text and "canvas sized so that the person is never enlarged" in text
    assert "background defocused in 30% (close-ups 60%; disk radius 0.3%–1.5% of the long side)" in text
    lens = data_description({**config, "defocus_p": 0.6, "defocus_radius": [0.003, 0.05]})
    assert "background defocused in 60% (close-ups 100%; disk radius 0.3%–5.0% of the long side)" in lens
    old = {**config, "backgrounds": "../shared/data/backgrounds", "closeup_p": None, "defocus_p": 0, "camera_p": 0}
    old_text = data_description(old)
    assert "from `backgrounds` (four fifths of it;" in old_text and "never enlarged" not in old_text


def test_openvino_network_serves_several_threads_at_once(photos):
    """A server calls the network from several threads: each call gets its own answer, never
    "Infer Request is busy", and an answer is not overwritten by the thread's next call."""
    from concurrent.futures import ThreadPoolExecutor

    openvino = load_model(backend="openvino")
    batches = [
        np.ascontiguousarray(rgb[None, :256, :256].transpose(0, 3, 1, 2), dtype=np.float32) / 255 for rgb in photos
    ]
    expected = [openvino.network(batch) for batch in batches]
    first = openvino.network(batches[0])
    openvino.network(batches[1])
    np.testing.assert_array_equal(first, expected[0])  # kept after the same thread's next call
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(openvino.network, batches * 4))
    for got, want in zip(answers, expected * 4, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)


INT8_SIZE = 128  # small, so that calibration and inference stay quick


@pytest.fixture(scope="module")
def openvino_int8_folder(tmp_path_factory) -> Path:
    """A copy of the fast tier's folder run square at INT8_SIZE² with ``precision="int8"``, holding its
    network quantized by NNCF on eight training photos."""
    from bgremover.constants import INT8_FILE
    from bgremover.deploy.openvino_int8 import quantize_openvino
    from bgremover.hub import resolve_source

    folder = tmp_path_factory.mktemp("fast-int8")
    for name in ("config.json", "model.safetensors"):
        shutil.copy(Path(resolve_source("fast")) / name, folder / name)
    config = json.loads((folder / "config.json").read_text())
    config["run"].update(working_size=INT8_SIZE, square=True, backend="auto", precision="int8")
    (folder / "config.json").write_text(json.dumps(config))
    train = SegmentationFolder(CCP, split="trainval")
    quantize_openvino(folder, folder / INT8_FILE, (train.load(i)[0] for i in range(0, 800, 100)), INT8_SIZE)
    return folder


def test_openvino_int8_runs_its_size_quantized_and_every_other_size_unquantized(openvino_int8_folder, photos):
    from bgremover.constants import INT8_FILE
    from bgremover.runtimes import FixedSizeNetwork, OpenVinoNetwork

    xml = openvino_int8_folder / INT8_FILE
    assert "FakeQuantize" in xml.read_text()  # int8 compute, not only int8 storage
    assert xml.with_suffix(".bin").stat().st_size < (openvino_int8_folder / "model.safetensors").stat().st_size / 2
    int8 = load_model(openvino_int8_folder)
    unquantized = load_model(openvino_int8_folder, precision="default")
    assert isinstance(int8.network, FixedSizeNetwork) and int8.network.size == (INT8_SIZE, INT8_SIZE)
    assert not isinstance(unquantized.network, FixedSizeNetwork)
    assert (int8.working_size, int8.square) == (INT8_SIZE, True)
    # measured 0.994 and 0.991 on the CCP photos, 0.925 on the DAVIS frame (a small person: few pixels at 128²)
    for rgb, bound in zip(photos, (0.97, 0.97, 0.88), strict=True):
        a, b = unquantized.predict(rgb, subject="all"), int8.predict(rgb, subject="all")
        assert b.shape == a.shape == rgb.shape[:2] and b.dtype == np.float32 and 0 <= b.min() <= b.max() <= 1
        assert iou(b, a) >= bound
    assert int8.network._fallback is None  # its own size never needs the unquantized network
    frames = np.zeros((4, 3, INT8_SIZE, INT8_SIZE), np.float32)
    assert int8.network(frames).shape == (4, INT8_SIZE, INT8_SIZE)  # a video batch
    multiscale = int8.predict(photos[0], scales=(0.75, 1.0), subject="all")
    assert isinstance(int8.network._fallback, OpenVinoNetwork)  # 96² went to the unquantized network
    assert iou(multiscale, unquantized.predict(photos[0], scales=(0.75, 1.0), subject="all")) >= 0.95


def test_openvino_int8_errors_name_the_problem(tmp_path, tiny_model_dir):
    from bgremover.deploy.openvino_int8 import quantize_openvino
    from bgremover.runtimes import FixedSizeNetwork

    with pytest.raises(ValueError, match=r"written as a \.xml file"):
        quantize_openvino(tiny_model_dir, tmp_path / "model.onnx", [np.zeros((64, 64, 3), np.uint8)], 64)
    with pytest.raises(ValueError, match="at least one calibration image"):
        quantize_openvino(tiny_model_dir, tmp_path / "model.xml", [], 64)
    with pytest.raises(ValueError, match="preset must be one of performance, mixed"):
        quantize_openvino(tiny_model_dir, tmp_path / "model.xml", [np.zeros((64, 64, 3), np.uint8)], 64, "fast")
    with pytest.raises(ValueError, match="unknown precision 'fp16': one of default, f32, int8"):
        load_model(tiny_model_dir, precision="fp16")
    import openvino as ov

    dynamic = ov.Core().read_model(str(export_onnx(tiny_model_dir, tmp_path / "tiny.onnx")))
    ov.save_model(dynamic, str(tmp_path / "d.xml"))
    with pytest.raises(ValueError, match="needs a fixed height and width"):
        FixedSizeNetwork(tmp_path / "d.xml", lambda: None)


def test_export_prints_no_tracer_warning(tmp_path, tiny_model_dir):
    """The app's first start exports the default's graph; the input check traced as a constant is not
    worth a warning on every new machine."""
    import warnings

    from bgremover.deploy.export import export_onnx

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        export_onnx(str(tiny_model_dir), tmp_path / "m.onnx")
    assert not [w for w in caught if "TracerWarning" in w.category.__name__], [str(w.message) for w in caught]
