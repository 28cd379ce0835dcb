"""Test-session environment, for the unit tests and for the notebooks nbval executes.

Set before anything imports transferlab, and inherited by notebook kernels:
- ``TRANSFERLAB_CACHE``: one fresh cache folder for the session (never a data folder);
- ``TRANSFERLAB_SMOKE=1``: notebooks shrink to a tiny subset and one or two epochs;
- ``TRANSFERLAB_DATA``: ``../shared/data`` (real photos) where present, else synthetic look-alikes.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tests"))

_cache = os.environ.get("TRANSFERLAB_TEST_CACHE") or tempfile.mkdtemp(prefix="transferlab-test-cache-")
os.environ["TRANSFERLAB_CACHE"] = _cache
os.environ["TRANSFERLAB_SMOKE"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

_shared = ROOT.parent / "shared" / "data"
from support import has_real_data  # noqa: E402

if has_real_data():
    os.environ["TRANSFERLAB_DATA"] = str(_shared)
else:
    from support import make_synthetic_cats_dogs, make_synthetic_oxford

    _data = Path(tempfile.mkdtemp(prefix="transferlab-synthetic-data-"))
    make_synthetic_oxford(_data / "oxford-iiit-pet", per_breed=8)
    make_synthetic_cats_dogs(_data / "cats-vs-dogs")
    os.environ["TRANSFERLAB_DATA"] = str(_data)
