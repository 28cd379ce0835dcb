"""The input pipeline (read + decode + resize, images/s) against the backbone it feeds, same batch size.

The pipeline must be at least 2x faster than the network, so the network sets the pace.

    .venv/bin/python benchmarks/pipeline_vs_backbone.py  -> benchmarks/results/pipeline_vs_backbone.json
"""

from __future__ import annotations

import time

from common import OXFORD, write_result

from transferlab import backbones, datasets, pipeline, probe


def main(batch_size: int = 32) -> None:
    splits = datasets.oxford_splits(OXFORD, task="breed", val_fraction=0.0)
    paths = splits.train.read_paths + splits.test.read_paths
    rates = []
    for _ in range(3):  # no cache: every pass decodes every file again
        ds = pipeline.make_dataset(paths, image_size=224, batch_size=batch_size, cache=False)
        start = time.perf_counter()
        n = sum(int(x.shape[0]) for x in ds)
        rates.append(n / (time.perf_counter() - start))
    model = backbones.build("efficientnet_lite0", include_top=False)
    network = max(probe.throughput(model, 224, batch_size, batches=5) for _ in range(3))
    write_result(
        "pipeline_vs_backbone",
        {
            "images": len(paths),
            "batch_size": batch_size,
            "pipeline_images_per_s": round(max(rates), 1),
            "pipeline_runs": [round(r, 1) for r in rates],
            "backbone": "efficientnet_lite0 (headless)",
            "backbone_images_per_s": round(network, 1),
            "ratio": round(max(rates) / network, 2),
        },
    )


if __name__ == "__main__":
    main()
