"""Shared fixtures: real sample data from ../shared/data where present, synthetic look-alikes otherwise.

Everything the tests write (converted weights, indexes, features) goes to one session cache folder;
``../shared`` is only ever read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from support import CATS_DOGS_REAL, OXFORD_REAL, has_real_data, make_synthetic_cats_dogs, make_synthetic_oxford


@pytest.fixture(scope="session")
def synthetic_oxford(tmp_path_factory) -> Path:
    return make_synthetic_oxford(tmp_path_factory.mktemp("data") / "oxford-iiit-pet")


@pytest.fixture(scope="session")
def synthetic_cats_dogs(tmp_path_factory) -> Path:
    return make_synthetic_cats_dogs(tmp_path_factory.mktemp("data") / "cats-vs-dogs")


@pytest.fixture(scope="session")
def oxford_dir(synthetic_oxford) -> Path:
    """The real sample where present, else the synthetic one."""
    return OXFORD_REAL if has_real_data() else synthetic_oxford


@pytest.fixture(scope="session")
def cats_dogs_dir(synthetic_cats_dogs) -> Path:
    return CATS_DOGS_REAL if has_real_data() else synthetic_cats_dogs


@pytest.fixture(scope="session")
def lite0():
    """EfficientNet-Lite0 with its ImageNet top (converted once per session)."""
    from transferlab import backbones

    return backbones.build("efficientnet_lite0")


@pytest.fixture(scope="session")
def chelsea_jpeg(tmp_path_factory) -> Path:
    from PIL import Image
    from skimage import data

    path = tmp_path_factory.mktemp("photos") / "chelsea.jpg"
    Image.fromarray(data.chelsea()).save(path, "JPEG", quality=95)
    return path


@pytest.fixture(scope="session")
def real_dog_images():
    """Up to 24 real dog photos (one per breed where possible), prepared to 224x224."""
    from transferlab import images, pipeline

    files = sorted(p for p in (OXFORD_REAL / "images").glob("*.jpg") if p.name[0].islower())
    by_breed: dict[str, Path] = {}
    for p in files:
        by_breed.setdefault(p.stem.rsplit("_", 1)[0], p)
    chosen = list(by_breed.values())[:24]
    return np.stack([pipeline.prepare_image(images.load_rgb(p), 224) for p in chosen])
