"""Segmentation architectures, one sub-package each."""
