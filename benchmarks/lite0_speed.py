"""EfficientNet-Lite0: images/s at batch 32 beside MobileNetV2 (random weights), and load times.

.venv/bin/python benchmarks/lite0_speed.py        -> benchmarks/results/lite0_speed.json
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

from common import write_result

os.environ["TRANSFERLAB_CACHE"] = tempfile.mkdtemp(prefix="bench-cache-")  # a cold cache: the first load converts

from transferlab import backbones, probe  # noqa: E402


def main(batch_size: int = 32) -> None:
    start = time.perf_counter()
    backbones.build("efficientnet_lite0")
    first = time.perf_counter() - start
    start = time.perf_counter()
    lite0 = backbones.build("efficientnet_lite0")
    cached = time.perf_counter() - start
    rows = {}
    for name, model in (("efficientnet_lite0", lite0), ("mobilenet_v2", backbones.build("mobilenet_v2", weights=None))):
        rates = [probe.throughput(model, 224, batch_size, batches=5) for _ in range(3)]
        rows[name] = {
            "images_per_s": round(max(rates), 1),
            "runs": [round(r, 1) for r in rates],
            "parameters": int(model.count_params()),
        }
    write_result(
        "lite0_speed",
        {
            "batch_size": batch_size,
            "throughput": rows,
            "first_load_converting_s": round(first, 2),
            "second_load_cached_s": round(cached, 2),
        },
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 32)
