"""The inputs behind tests/data/lite0_reference_logits.npz (regenerate with ``python tests/reference_inputs.py``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

REFERENCE = Path(__file__).parent / "data" / "lite0_reference_logits.npz"


def reference_inputs() -> np.ndarray:
    """Three 224x224 RGB inputs: chelsea, coffee (the course's resize policy) and seeded noise."""
    from skimage import data

    from transferlab.pipeline import prepare_image

    noise = np.random.default_rng(0).integers(0, 256, size=(224, 224, 3)).astype(np.float32)
    return np.stack([prepare_image(data.chelsea(), 224), prepare_image(data.coffee(), 224), noise])


if __name__ == "__main__":
    from transferlab import backbones

    model = backbones.build("efficientnet_lite0")
    logits = backbones.logits_model(model).predict(reference_inputs(), verbose=0)
    REFERENCE.parent.mkdir(exist_ok=True)
    np.savez_compressed(REFERENCE, logits=logits.astype(np.float32))
    print(REFERENCE, logits.shape, logits.argmax(-1))
