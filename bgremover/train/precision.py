"""Mixed precision for training and validation: the autocast type a device runs natively, or none."""

from __future__ import annotations

import contextlib
import functools

import torch


@functools.cache
def cpu_has_bf16_kernels() -> bool:
    """Whether oneDNN has bf16 kernels for this CPU (AVX-512 or AMX). On other CPUs torch emulates bf16
    convolutions, many times slower than fp32 (``benchmarks/train_throughput.py`` measures it). Asked
    once per process: the training loop enters autocast every step."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def autocast_dtype(device_type: str, amp: bool, cpu_bf16: bool) -> torch.dtype | None:
    """The autocast type for ``amp`` on a ``"cuda"`` or ``"cpu"`` device: fp16 on CUDA, bf16 on a CPU
    with bf16 kernels (``cpu_bf16``), ``None`` (plain fp32) otherwise.

    Example:
        >>> autocast_dtype("cuda", amp=True, cpu_bf16=False)
        torch.float16
        >>> autocast_dtype("cpu", amp=True, cpu_bf16=True)
        torch.bfloat16
        >>> autocast_dtype("cpu", amp=True, cpu_bf16=False) is None
        True
        >>> autocast_dtype("cuda", amp=False, cpu_bf16=True) is None
        True
    """
    if not amp:
        return None
    if device_type == "cuda":
        return torch.float16
    return torch.bfloat16 if device_type == "cpu" and cpu_bf16 else None


def training_autocast(device: torch.device, amp: bool) -> torch.dtype | None:
    """:func:`autocast_dtype` on this machine."""
    return autocast_dtype(device.type, amp, device.type == "cpu" and cpu_has_bf16_kernels())


def autocast_context(device: torch.device, amp: bool):
    """Autocast to :func:`training_autocast`'s type, or a no-op where it is ``None``."""
    dtype = training_autocast(device, amp)
    return contextlib.nullcontext() if dtype is None else torch.autocast(device.type, dtype=dtype)
