"""Notebook 02's fine-tuned model on the Oxford-IIIT Pet sample (37 breeds, official split), CPU.

The model of notebook 02 (augmentation layers, the frozen base called with ``training=False``,
dropout, a dense head), trained like the linear probe it is compared with: on the whole official
trainval split (16 photos per breed), scored once on the official test split. No validation split
is carved from 16 photos per breed, so both phases run a fixed number of epochs: the head first
(base frozen), then the top of the base unfrozen at a 10x lower learning rate.

    .venv/bin/python benchmarks/fine_tune.py [--no-augment]
        -> benchmarks/results/fine_tune.json (fine_tune_no_augment.json)

Measured on a 2-core CPU: with augmentation the model ends 2-3 test photos short of the probe (see
the closing note of the issue); 16 photos per breed are too few for augmentation to pay off here.
"""

from __future__ import annotations

import sys
import time

from common import OXFORD, write_result

from transferlab import config, datasets, pipeline, probe, training

BACKBONE = "efficientnet_lite0"
IMAGE_SIZE = 224
BATCH_SIZE = 32
EPOCHS_HEAD = 30
EPOCHS_FINE = 3
LEARNING_RATE = 1e-3  # fine-tuning: LEARNING_RATE / 10
FINE_TUNE_LAYERS = 10
DROPOUT = 0.3
L2 = 1e-3


def main(augment: bool = True) -> None:
    config.set_seeds(0)
    start = time.perf_counter()
    splits = datasets.oxford_splits(OXFORD, task="breed", val_fraction=0.0, seed=0)
    train = pipeline.make_dataset(splits.train.read_paths, splits.train.labels, IMAGE_SIZE, BATCH_SIZE, shuffle=True)
    test = pipeline.make_dataset(splits.test.read_paths, splits.test.labels, IMAGE_SIZE, BATCH_SIZE)
    model = training.build_transfer_model(
        BACKBONE, splits.num_classes, IMAGE_SIZE, dropout=DROPOUT, l2=L2, augment=augment
    )
    training.compile_model(model, LEARNING_RATE)
    model.fit(train, epochs=EPOCHS_HEAD, verbose=2)
    head_only = model.evaluate(test, verbose=0, return_dict=True)["accuracy"]
    head_seconds = time.perf_counter() - start
    unfrozen = training.unfreeze_top(model, FINE_TUNE_LAYERS)
    training.compile_model(model, LEARNING_RATE / 10)
    model.fit(train, initial_epoch=EPOCHS_HEAD, epochs=EPOCHS_HEAD + EPOCHS_FINE, verbose=2)
    fine_tuned = model.evaluate(test, verbose=0, return_dict=True)["accuracy"]
    seconds = time.perf_counter() - start
    linear = probe.linear_probe(OXFORD, task="breed", verbose=0)
    write_result(
        "fine_tune" if augment else "fine_tune_no_augment",
        {
            "augmentation": augment,
            "backbone": BACKBONE,
            "task": "breed (37)",
            "n_train": len(splits.train),
            "n_test": len(splits.test),
            "epochs_head": EPOCHS_HEAD,
            "epochs_fine": EPOCHS_FINE,
            "unfrozen_layers": unfrozen,
            "learning_rate_head": LEARNING_RATE,
            "learning_rate_fine": LEARNING_RATE / 10,
            "dropout": DROPOUT,
            "l2": L2,
            "test_accuracy_head_only": round(float(head_only), 4),
            "test_accuracy_fine_tuned": round(float(fine_tuned), 4),
            "head_seconds": round(head_seconds, 1),
            "total_seconds": round(seconds, 1),
            "linear_probe_accuracy": round(linear.accuracy, 4),
            "reaches_probe": bool(fine_tuned >= linear.accuracy),
        },
    )


if __name__ == "__main__":
    main(augment="--no-augment" not in sys.argv)
