"""The linear probe on the Oxford-IIIT Pet sample: species and breed accuracy, first and cached runs.

.venv/bin/python benchmarks/probe.py  -> benchmarks/results/probe.json
"""

from __future__ import annotations

import os
import tempfile

from common import OXFORD, write_result

os.environ["TRANSFERLAB_CACHE"] = tempfile.mkdtemp(prefix="bench-cache-")  # cold: index, weights, features

from transferlab import probe  # noqa: E402


def main() -> None:
    out = {}
    for task in ("species", "breed"):
        first = probe.linear_probe(OXFORD, task=task, verbose=0)
        second = probe.linear_probe(OXFORD, task=task, verbose=0)
        out[task] = {
            "accuracy": round(first.accuracy, 4),
            "n_train": first.n_train,
            "n_test": first.n_test,
            "first_run_s": round(first.seconds, 2),
            "cached_run_s": round(second.seconds, 2),
        }
    write_result("probe", {"backbone": "efficientnet_lite0", "data": str(OXFORD), **out})


if __name__ == "__main__":
    main()
