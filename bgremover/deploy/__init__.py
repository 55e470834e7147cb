"""Deployment: ONNX export, int8 quantization (ONNX Runtime, PyTorch FX), pruning."""
