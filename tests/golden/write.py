"""Write the golden outputs of both shipped models (PyTorch fp32, the same on every CPU)."""

from __future__ import annotations

import json

from bgremover import load_model
from tests.golden import golden_file, photo_paths, signature


def main() -> None:
    for model in ("default", "fast"):
        segmenter = load_model(model, device="cpu", backend="torch")
        document = {path.name: signature(segmenter.predict(path)) for path in photo_paths()}
        golden_file(model).write_text(json.dumps(document, indent=1) + "\n")
        print(f"wrote {golden_file(model)}")


if __name__ == "__main__":
    main()
