"""Build the datasets, loaders, model, loss and optimiser of a run from its ``TrainConfig``."""

from __future__ import annotations

import fnmatch

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler

from bgremover.data import (
    CLOSEUP_FRAMINGS,
    PORTRAIT_LENS_FRAMINGS,
    CloseupCrops,
    CompositeSet,
    ConcatPairs,
    CopyPaste,
    HardExampleSampler,
    MultiScaleBatchSampler,
    PairTransform,
    SegmentationFolder,
    find_pairs,
    reset_pipelines,
)
from bgremover.data.compositing import PersonSource
from bgremover.data.dataset import PairDataset, unpack_item
from bgremover.deploy.prune import prune_model
from bgremover.errors import UsageError
from bgremover.factory import architecture, create_model
from bgremover.hub import load_network
from bgremover.losses import CompositeLoss
from bgremover.train.config import TrainConfig
from bgremover.train.distributed import DistInfo


class EpochShuffle(torch.utils.data.Sampler[int]):
    """A permutation of ``range(n)`` fixed by (seed, epoch), so a resumed epoch replays its order."""

    def __init__(self, n: int, seed: int):
        self.n, self.seed, self.epoch = n, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed * 10_007 + self.epoch)
        return iter(torch.randperm(self.n, generator=generator).tolist())

    def __len__(self) -> int:
        return self.n


class IndexedDataset(torch.utils.data.Dataset):
    """Items of ``dataset`` with their index appended (for per-item losses)."""

    def __init__(self, dataset: SegmentationFolder):
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, item):
        return (*self.dataset[item], unpack_item(item)[0])


def split_stems(config: TrainConfig) -> tuple[list[str] | None, list[str]]:
    """Train and validation stems: ``val_split`` if given, else a ``val_fraction`` hold-out drawn with
    ``val_seed`` (the same photos whatever the run's ``seed``)."""
    root = SegmentationFolder(config.data, split=config.split)
    if config.val_split:
        val = SegmentationFolder(config.data, split=config.val_split).stems
        return [s for s in root.stems if s not in set(val)], val
    rng = np.random.default_rng(config.val_seed)
    order = rng.permutation(len(root.stems))
    n_val = max(1, round(len(order) * config.val_fraction))
    val = sorted(root.stems[i] for i in order[:n_val])
    return sorted(set(root.stems) - set(val)), val


# The composited validation parts: TrainConfig option -> (stem prefix, framings, the part's name).
VALIDATION_COMPOSITES = {
    "val_closeups": ("closeup-", CLOSEUP_FRAMINGS, "close-up composites"),
    "val_bokeh": ("bokeh-", PORTRAIT_LENS_FRAMINGS, "portrait-lens composites"),
}
# The part of real close-ups (``val_real_closeups``): stem prefix and name.
REAL_CLOSEUPS = ("real-closeup-", "real close-ups")


def negative_source(folders: tuple[str, ...]) -> PersonSource | None:
    """Draws a random (image, mask) of the objects in ``folders`` (``TrainConfig.negatives``); None without any."""
    if not folders:
        return None
    objects = ConcatPairs([SegmentationFolder(folder, soft=True) for folder in folders])
    if not len(objects):
        raise UsageError(f"no objects (images/ + masks/) in {', '.join(folders)}")
    return lambda rng: objects.load(int(rng.integers(len(objects))))


def build_datasets(
    config: TrainConfig, train_stems: list[str] | None = None, val_stems: list[str] | None = None
) -> tuple[SegmentationFolder, PairDataset]:
    """Train set (augmented, composited onto ``config.backgrounds``) and validation set: the held-out
    photos, plus the ``val_holdout`` photos of ``extra_data`` and, with ``val_closeups``, a close-up
    composite of each held-out person (:data:`~bgremover.data.CLOSEUP_FRAMINGS`), with ``val_bokeh`` one
    through a portrait lens (:data:`~bgremover.data.PORTRAIT_LENS_FRAMINGS`); those composites use
    rooms kept from training with ``val_rooms``, else training rooms; with ``val_real_closeups`` each
    held-out photo cropped to a close-up of its person (:class:`~bgremover.data.CloseupCrops`)."""
    if train_stems is None or val_stems is None:
        train_stems, val_stems = split_stems(config)
    train = SegmentationFolder(config.data, stems=train_stems, soft=config.soft_masks)
    train_rooms, val_rooms = ("fit", "val") if config.val_rooms else ("train", "train")  # background_files splits
    held_out = []
    for folder in config.extra_data:
        pairs = find_pairs(folder)
        held = [pair for pair in pairs if any(fnmatch.fnmatchcase(pair[0].stem, p) for p in config.val_holdout)]
        if held:
            held_out.append(SegmentationFolder(folder, stems=[image.stem for image, _ in held], soft=config.soft_masks))
        extra = [pair for pair in pairs if pair not in held] * config.extra_repeat
        train.pairs += extra
        train.stems += [image.stem for image, _ in extra]
    real_people = len(train)  # compositing draws its people from these: the real photos, not the pseudo-labelled
    for folder in config.pseudo_data:
        pseudo = find_pairs(folder) * config.pseudo_repeat
        train.pairs += pseudo
        train.stems += [image.stem for image, _ in pseudo]
        train.ignore_masks |= {mask for _, mask in pseudo}
    composite = None
    if config.backgrounds and (config.composite.p > 0 or config.composite.real_closeup_p > 0):
        composite = CopyPaste.from_folder(
            *config.backgrounds,
            split=train_rooms,
            people=lambda rng: train.load(int(rng.integers(real_people))),
            config=config.composite,
            seed=config.seed,
            negatives=negative_source(config.negatives),
        )
    train.transform = PairTransform(
        config.image_size,
        train=True,
        rotate90_p=config.rotate90_p,
        pre=composite,
        squash_p=config.squash_p,
        camera_p=config.camera_p,
    )
    val = SegmentationFolder(config.data, stems=val_stems, soft=config.soft_masks)
    if config.max_val_images:
        val.pairs, val.stems = val.pairs[: config.max_val_images], val.stems[: config.max_val_images]
    parts = [val, *held_out]
    for offset, (option, (prefix, framings, _)) in enumerate(VALIDATION_COMPOSITES.items()):
        if not getattr(config, option):
            continue
        if not config.backgrounds:
            raise UsageError(f"{option} composites the validation people onto backgrounds: set backgrounds too")
        rooms = CopyPaste.from_folder(
            *config.backgrounds, split=val_rooms, config=framings, seed=config.val_seed + offset
        )
        parts.append(CompositeSet(val, rooms, prefix=prefix))
    if config.val_real_closeups:
        crops = CloseupCrops(seed=config.val_seed + len(VALIDATION_COMPOSITES))
        parts.append(CompositeSet(val, crops, prefix=REAL_CLOSEUPS[0]))
    val = val if len(parts) == 1 else ConcatPairs(parts)
    val.transform = PairTransform(config.image_size, train=False)
    return train, val


def build_train_loader(config: TrainConfig, dataset: SegmentationFolder, dist: DistInfo) -> DataLoader:
    """Multi-scale batches over a shuffled, distributed or hard-example sampler."""
    if dist.enabled:
        sampler = DistributedSampler(dataset, dist.world_size, dist.rank, shuffle=True, seed=config.seed)
    elif config.hard_mining:
        sampler = HardExampleSampler(len(dataset), seed=config.seed)
    else:
        sampler = EpochShuffle(len(dataset), config.seed)
    batches = MultiScaleBatchSampler(sampler, config.batch_size, config.scales, drop_last=True, seed=config.seed)
    workers = config.num_workers
    return DataLoader(
        IndexedDataset(dataset),
        batch_sampler=batches,
        num_workers=workers,
        pin_memory=torch.cuda.is_available(),
        prefetch_factor=config.prefetch_factor if workers else None,
        persistent_workers=config.persistent_workers and workers > 0,
        worker_init_fn=reset_pipelines,
        generator=torch.Generator().manual_seed(config.seed + dist.rank),  # leaves the global RNG alone
    )


def build_model(config: TrainConfig) -> nn.Module:
    """The configured architecture, built with the config fields its registry entry names
    (:data:`~bgremover.factory.ARCHITECTURES`), with the weights of ``init_from`` when given and
    ``prune_amount`` of its conv weights masked to zero."""
    options = {name: getattr(config, name) for name in architecture(config.arch).train_options}
    weights = None if config.init_from else config.encoder_weights
    model = create_model(config.arch, config.encoder, encoder_weights=weights, **options)
    if config.init_from:
        model.load_state_dict(load_network(config.init_from).state_dict())
    if config.prune_amount:
        prune_model(model, config.prune_amount, config.prune_structured, permanent=False)
    return model


def build_loss(config: TrainConfig) -> CompositeLoss:
    return CompositeLoss(
        config.w_bce, config.w_dice, config.w_perceptual, config.w_edge, perceptual_size=config.perceptual_size
    )


def build_optimizer(config: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    return torch.optim.Adam(model.parameters(), lr=config.lr, betas=config.betas, weight_decay=config.weight_decay)


def build_scheduler(config: TrainConfig, optimizer: torch.optim.Optimizer):
    return torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=config.t0, T_mult=config.t_mult)
