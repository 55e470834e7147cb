"""Data: folder and COCO datasets, joint augmentation, copy-paste compositing, samplers."""

from bgremover.data.compositing import (
    CLOSEUP_FRAMINGS,
    PORTRAIT_LENS_FRAMINGS,
    CloseupCrops,
    CompositeConfig,
    CompositeSet,
    CopyPaste,
    background_files,
    closeup_crop,
    paste,
    person_crop,
)
from bgremover.data.dataset import ConcatPairs, SegmentationFolder, find_pairs, read_split, to_tensors
from bgremover.data.samplers import HardExampleSampler, MultiScaleBatchSampler
from bgremover.data.transforms import PairTransform, eval_pipeline, reset_pipelines, train_pipeline

__all__ = [
    "CLOSEUP_FRAMINGS",
    "PORTRAIT_LENS_FRAMINGS",
    "CloseupCrops",
    "CompositeConfig",
    "CompositeSet",
    "ConcatPairs",
    "CopyPaste",
    "HardExampleSampler",
    "MultiScaleBatchSampler",
    "PairTransform",
    "SegmentationFolder",
    "background_files",
    "closeup_crop",
    "eval_pipeline",
    "find_pairs",
    "paste",
    "person_crop",
    "read_split",
    "reset_pipelines",
    "to_tensors",
    "train_pipeline",
]
