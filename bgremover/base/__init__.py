"""The model base every architecture derives from: one forward contract."""

from bgremover.base.model import SegmentationModel

__all__ = ["SegmentationModel"]
