"""Environment switches, paths and seeds: the one place that decides them.

| variable | meaning | default |
|---|---|---|
| ``TRANSFERLAB_DATA`` | a folder holding ``oxford-iiit-pet/`` and ``cats-vs-dogs/`` | unset: download |
| ``TRANSFERLAB_CACHE`` | where indexes, converted weights, features and downloads go | ``~/.cache/transferlab`` |
| ``TRANSFERLAB_SMOKE`` | ``1`` shrinks notebook work to a tiny subset and one epoch (tests, CI) | ``0`` |
"""

from __future__ import annotations

import os
import random
from pathlib import Path

DATA_ENV = "TRANSFERLAB_DATA"
CACHE_ENV = "TRANSFERLAB_CACHE"
SMOKE_ENV = "TRANSFERLAB_SMOKE"


def cache_dir() -> Path:
    """The cache folder (created on demand). Never a data folder: ``../shared`` stays read-only."""
    path = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "transferlab").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_root() -> Path | None:
    """The folder named by ``TRANSFERLAB_DATA``, or ``None``."""
    value = os.environ.get(DATA_ENV)
    return Path(value).expanduser() if value else None


def smoke_mode() -> bool:
    """True when ``TRANSFERLAB_SMOKE`` asks for the tiny, fast version of the work."""
    return os.environ.get(SMOKE_ENV, "0").strip().lower() not in ("", "0", "false", "no")


def set_seeds(seed: int = 42) -> None:
    """Seed Python, numpy, TensorFlow and Keras."""
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    try:
        import keras

        keras.utils.set_random_seed(seed)
    except ImportError:  # pragma: no cover - keras is a dependency
        pass


def on_colab() -> bool:
    try:
        import google.colab  # noqa: F401
    except ImportError:
        return False
    return True


def headline(name: str, value) -> None:
    """Print a notebook's headline metric in the form ``transferlab run`` collects for its table."""
    shown = f"{value:.4f}" if isinstance(value, float) else value
    print(f"HEADLINE: {name} = {shown}")
