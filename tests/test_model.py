"""The Attention U-Net on every registered encoder: shapes, gradients, attention, checkpointing, Hub I/O."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from bgremover import create_model
from bgremover.decoders.attention_unet import AttentionUNet
from bgremover.encoders import create_encoder, list_encoders
from bgremover.weights import WeightsUnavailableError
from tests.conftest import REPO, WEIGHTS

DECODER = (32, 16, 16, 8, 8)


def small(encoder: str, **kwargs) -> AttentionUNet:
    torch.manual_seed(0)
    return create_model("attention_unet", encoder, encoder_weights=None, decoder_channels=DECODER, **kwargs)


@pytest.mark.parametrize("encoder", list_encoders())
def test_shapes_for_odd_sizes_and_attention_range(encoder):
    model = small(encoder).eval()
    with torch.no_grad():
        logits, maps = model(torch.rand(2, 3, 45, 71), return_attention=True)
    assert logits.shape == (2, 1, 45, 71)
    assert len(maps) == 4
    for alpha in maps:
        assert alpha.shape[:2] == (2, 1) and alpha.min() >= 0 and alpha.max() <= 1


@pytest.mark.parametrize("encoder", list_encoders())
def test_gradient_reaches_every_parameter(encoder):
    model = small(encoder).train()
    model(torch.rand(2, 3, 64, 64)).mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not missing, missing[:5]


@pytest.mark.parametrize("encoder", list_encoders())
def test_checkpointing_gives_same_outputs_and_gradients(encoder):
    plain, ckpt = small(encoder), small(encoder, gradient_checkpointing=True)
    ckpt.load_state_dict(plain.state_dict())
    x = torch.rand(2, 3, 64, 64)
    results = []
    for model in (plain, ckpt):
        model.train()
        torch.manual_seed(1)
        out = model(x)
        out.square().mean().backward()
        results.append((out.detach(), [p.grad.clone() for p in model.parameters()]))
    torch.testing.assert_close(results[0][0], results[1][0])
    for a, b in zip(results[0][1], results[1][1], strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("encoder", list_encoders())
def test_save_and_from_pretrained_round_trip(encoder, tmp_path):
    model = small(encoder, attention=True).eval()
    model.save_pretrained(tmp_path)
    assert (tmp_path / "config.json").is_file() and (tmp_path / "model.safetensors").is_file()
    loaded = AttentionUNet.from_pretrained(tmp_path).eval()
    x = torch.rand(1, 3, 40, 56)
    with torch.no_grad():
        torch.testing.assert_close(model(x), loaded(x), rtol=0, atol=0)


def test_without_attention_has_no_gates():
    model = small("resnet18", attention=False).eval()
    logits, maps = model(torch.rand(1, 3, 64, 64), return_attention=True)
    assert maps == [] and logits.shape == (1, 1, 64, 64)
    assert not any("gate" in name for name, _ in model.named_parameters())


def test_local_imagenet_weights_equal_file():
    encoder = create_encoder("tf_efficientnet_lite0", weights="imagenet")
    state = load_file(WEIGHTS / "encoders" / "tf_efficientnet_lite0.in1k.safetensors")
    own = encoder.model.state_dict()
    shared = [k for k in own if k in state]
    assert len(shared) > 100
    for key in shared:
        assert torch.equal(own[key], state[key]), key


def test_explicit_weights_file():
    path = WEIGHTS / "encoders" / "tf_efficientnet_lite0.in1k.safetensors"
    model = create_model(encoder_name="tf_efficientnet_lite0", encoder_weights=str(path))
    assert torch.equal(model.encoder.model.conv_stem.weight, load_file(path)["conv_stem.weight"])


def test_encoder_from_a_trained_bgremover_model(tmp_path):
    trained = create_model("attention_unet", "resnet18", encoder_weights=None)
    trained.save_pretrained(tmp_path)
    encoder = create_encoder("resnet18", weights=tmp_path / "model.safetensors")
    for name, tensor in encoder.model.state_dict().items():
        assert torch.equal(tensor, trained.encoder.model.state_dict()[name])


def test_missing_weights_are_a_clear_error(tmp_path, monkeypatch):
    with pytest.raises(WeightsUnavailableError, match="not found"):
        create_encoder("resnet18", weights=tmp_path / "nope.safetensors")
    monkeypatch.setenv("BGREMOVER_WEIGHTS_DIR", str(tmp_path))  # no local file, and offline
    with pytest.raises(WeightsUnavailableError, match="BGREMOVER_WEIGHTS_DIR"):
        create_encoder("resnet18", weights="imagenet")


def test_unknown_names_are_clear_errors():
    with pytest.raises(ValueError, match="registered"):
        create_encoder("no_such_encoder")
    with pytest.raises(ValueError, match="available"):
        create_model("no_such_arch", encoder_weights=None)


def test_bad_input_shape():
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        small("resnet18")(torch.rand(1, 1, 32, 32))


@pytest.mark.parametrize("arch", ["deeplabv3plus", "unet"])
def test_smp_baselines_share_the_encoder_and_round_trip(arch, tmp_path):
    from bgremover.hub import load_network

    path = WEIGHTS / "encoders" / "tf_efficientnet_lite0.in1k.safetensors"
    model = create_model(arch, "tf_efficientnet_lite0", encoder_weights=str(path)).eval()
    assert torch.equal(model.net.encoder.model.conv_stem.weight, load_file(path)["conv_stem.weight"])
    x = torch.rand(1, 3, 45, 77)
    with torch.no_grad():
        assert model(x).shape == (1, 1, 45, 77)
    model.save_pretrained(tmp_path)
    loaded = load_network(tmp_path)
    assert type(loaded).__name__ == "SmpBaseline" and loaded.arch == arch
    with torch.no_grad():
        torch.testing.assert_close(model(x), loaded(x), rtol=0, atol=0)


def test_smp_unet_is_the_attention_unet_without_its_gates():
    widths = (32, 16, 16, 8, 8)
    plain = create_model("unet", "resnet18", encoder_weights=None, decoder_channels=widths)
    gated = create_model("attention_unet", "resnet18", encoder_weights=None, decoder_channels=widths)
    assert [b.conv2[0].out_channels for b in plain.net.decoder.blocks] == list(widths)
    count = lambda params: sum(p.numel() for p in params)  # noqa: E731
    gates = count(p for b in gated.blocks if b.gate is not None for p in b.gate.parameters())
    assert gates > 0 and count(plain.parameters()) == count(gated.parameters()) - gates


def test_a_copied_model_folder_runs_as_its_config_says(tmp_path, photo_path):
    """The run block travels with the weights: a copy of the fast tier elsewhere runs at 256² through the
    fast tier's runtime, with the same output as the named tier."""
    import shutil

    from bgremover import load_model
    from bgremover.hub import resolve_source

    copy = shutil.copytree(resolve_source("fast"), tmp_path / "my-fast", ignore=shutil.ignore_patterns("*.onnx"))
    named, copied = load_model("fast", backend="torch"), load_model(copy, backend="torch")
    assert (copied.working_size, copied.square) == (named.working_size, named.square) == (256, True)
    np.testing.assert_array_equal(copied.predict(photo_path), named.predict(photo_path))
    assert load_model(copy).network.__class__ is load_model("fast").network.__class__  # "auto": the same runtime


def test_every_config_names_its_arch_and_run_block_and_old_configs_still_load(tmp_path):
    import json

    from bgremover.factory import ARCHITECTURES
    from bgremover.hub import MODELS_DIR, load_network
    from bgremover.pretrained import PRETRAINED_DIR
    from bgremover.run_config import RunConfig

    folders = [*PRETRAINED_DIR.iterdir(), *(MODELS_DIR.iterdir() if MODELS_DIR.is_dir() else [])]
    folders = [folder for folder in folders if folder.is_dir() and not folder.name.startswith("__")]
    for folder in folders:
        config = json.loads((folder / "config.json").read_text())
        if "fusion" in config:  # a fused tier (bgremover.fusion): no weights of its own, a base tier named
            assert config["fusion"]["base"] in ("default", "fast") and 0 <= config["fusion"]["weight"] <= 1, folder
            continue
        assert config["arch"] in ARCHITECTURES and RunConfig.from_config(config).mean == (0.5, 0.5, 0.5), folder
    legacy = tmp_path / "legacy"  # a folder saved before "arch" and "run" existed
    legacy.mkdir()
    source = PRETRAINED_DIR / "bgremover-lite2"
    config = {k: v for k, v in json.loads((source / "config.json").read_text()).items() if k not in ("arch", "run")}
    (legacy / "config.json").write_text(json.dumps(config))
    (legacy / "model.safetensors").write_bytes((source / "model.safetensors").read_bytes())
    network = load_network(legacy)
    assert type(network).__name__ == "AttentionUNet" and network.run_config == RunConfig()


@pytest.mark.parametrize("arch", ["attention_unet", "unet", "deeplabv3plus"])
def test_save_pretrained_writes_the_registry_name_and_round_trips(tmp_path, arch):
    import json

    from bgremover import create_model
    from bgremover.hub import load_network

    small = {} if arch == "deeplabv3plus" else {"decoder_channels": (32, 16, 16, 8, 8)}
    model = create_model(arch, "resnet18", encoder_weights=None, **small).eval()
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["arch"] == arch and config["run"]["working_size"] == 512
    loaded = load_network(tmp_path)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x))


def test_the_registries_list_what_exists():
    """timm's contract: ``list_models`` lists every architecture ``create_model`` builds (filtered by a
    pattern); ``list_pretrained`` every shipped folder, each loadable by its name."""
    import bgremover
    from bgremover.errors import ModelNotFoundError
    from bgremover.factory import ARCHITECTURES
    from bgremover.pretrained import PRETRAINED, PRETRAINED_DIR, pretrained_model

    assert bgremover.list_models() == sorted(ARCHITECTURES) and bgremover.list_models("deeplab*") == ["deeplabv3plus"]
    shipped = {p.parent.name for p in PRETRAINED_DIR.glob("*/config.json")}
    assert {model.folder_name for model in PRETRAINED.values()} == shipped  # no folder unregistered, none missing
    assert bgremover.list_pretrained() == sorted(PRETRAINED) and bgremover.list_pretrained("?ast") == ["fast"]
    assert [name for name in PRETRAINED if PRETRAINED[name].fused] == ["fast-plus", "best"]  # the app's order
    with pytest.raises(ModelNotFoundError, match="called 'quality': best, default, fast, fast-plus"):
        pretrained_model("quality")
    with pytest.raises(ModelNotFoundError, match="is not one of \\['best', 'default', 'fast', 'fast-plus'\\]"):
        bgremover.load_model("quality")


@pytest.mark.parametrize("name", ["default", "fast"])
def test_every_shipped_network_loads_by_name_as_its_run_block_says(name):
    from bgremover import list_pretrained, load_model
    from bgremover.hub import run_config

    assert name in list_pretrained()
    model, run = load_model(name), run_config(name)
    assert (model.working_size, model.square, model.upsample) == (run.working_size, run.square, run.upsample)
    assert model.flip_shift == run.flip_shift
    crew = REPO / "bgremover_app" / "examples" / "group_apollo11_crew.jpg"  # committed, credited
    alpha = model.predict(crew)
    assert alpha.dtype == np.float32 and 0.35 < (alpha > 0.5).mean() < 0.65  # three astronauts fill half the photo


def test_training_builds_each_architecture_with_the_options_its_entry_names():
    from bgremover.train.builders import build_model
    from bgremover.train.config import TrainConfig

    small = dict(encoder="resnet18", encoder_weights=None, decoder_channels=(32, 16, 16, 8, 8))
    gated = build_model(TrainConfig(arch="attention_unet", attention=True, **small))
    plain = build_model(TrainConfig(arch="attention_unet", attention=False, **small))
    unet = build_model(TrainConfig(arch="unet", **small))
    assert sum(p.numel() for p in gated.parameters()) > sum(p.numel() for p in plain.parameters())
    widths = [module.out_channels for module in unet.net.decoder.modules() if isinstance(module, torch.nn.Conv2d)]
    assert widths[-1] == 8  # the decoder widths reached smp's U-Net
