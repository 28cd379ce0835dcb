"""The linear probe: a logistic-regression classifier on cached backbone features.

The course's one-command baseline (``transferlab probe``): what a frozen ImageNet network's
features are worth on a task, before any training of the network itself.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from transferlab import datasets, features


@dataclass
class ProbeResult:
    task: str
    backbone: str
    accuracy: float
    n_train: int
    n_test: int
    seconds: float

    def to_dict(self) -> dict:
        return asdict(self)


def fit_linear(train_x, train_y, c: float = 1.0, max_iter: int = 2000):
    """A standardised, L2-regularised multinomial logistic regression (scikit-learn)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=max_iter))
    return clf.fit(np.asarray(train_x), np.asarray(train_y))


def linear_probe(
    data_dir=None, task: str = "species", backbone: str = "efficientnet_lite0", verbose: int = 1, c: float = 0.01
) -> ProbeResult:
    """Train on Oxford-IIIT Pet's trainval split (all of it), score on its test split."""
    start = time.perf_counter()
    splits = datasets.oxford_splits(data_dir, task=task, val_fraction=0.0)
    train_x = features.extract_features(backbone, splits.train.read_paths, verbose=verbose)
    test_x = features.extract_features(backbone, splits.test.read_paths, verbose=verbose)
    clf = fit_linear(train_x, splits.train.labels, c=c)
    accuracy = float(np.mean(clf.predict(test_x) == splits.test.labels))
    return ProbeResult(task, backbone, accuracy, len(splits.train), len(splits.test), time.perf_counter() - start)


def throughput(model, image_size: int, batch_size: int = 32, batches: int = 3) -> float:
    """Images per second of ``model`` in inference mode on random pixels (after one warm-up batch),
    called as :func:`transferlab.features.predict_batches` calls it."""
    import tensorflow as tf

    x = tf.constant(np.random.default_rng(0).uniform(0, 255, (batch_size, image_size, image_size, 3)), tf.float32)
    call = tf.function(lambda t: model(t, training=False))
    np.asarray(call(x))
    start = time.perf_counter()
    for _ in range(batches):
        np.asarray(call(x))
    return batches * batch_size / (time.perf_counter() - start)


def compare_backbones(names, splits, batch_size: int = 32, c: float = 0.01, verbose: int = 0) -> list[dict]:
    """One row per backbone: parameters, feature size, images/s here, linear-probe test accuracy.

    Backbones whose ImageNet weights cannot be had (no network) get a row saying so, not a crash.
    """
    from transferlab import backbones

    rows = []
    for name in names:
        entry = backbones.get(name)
        try:
            model = backbones.build(name, include_top=False)
        except backbones.WeightsUnavailableError:
            rows.append(
                {
                    "backbone": name,
                    "parameters": None,
                    "feature_size": entry.feature_size,
                    "images_per_s": None,
                    "test_accuracy": None,
                    "note": "weights unavailable (offline)",
                }
            )
            continue
        train_x = features.extract_features(name, splits.train.read_paths, model=model, verbose=verbose)
        test_x = features.extract_features(name, splits.test.read_paths, model=model, verbose=verbose)
        clf = fit_linear(train_x, splits.train.labels, c=c)
        rows.append(
            {
                "backbone": name,
                "parameters": int(model.count_params()),
                "feature_size": int(train_x.shape[1]),
                "images_per_s": round(throughput(model, entry.input_size, batch_size), 1),
                "test_accuracy": round(float(np.mean(clf.predict(test_x) == splits.test.labels)), 4),
                "note": "",
            }
        )
    return rows


def format_table(rows: list[dict]) -> str:
    """Rows of dicts as a fixed-width text table (None shown as '-')."""
    if not rows:
        return "(no rows)"
    cols = list(rows[0])
    cells = [[("-" if r.get(c) is None else str(r.get(c))) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)
