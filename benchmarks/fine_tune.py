"""Notebook 02's fine-tuned model on the Oxford-IIIT Pet sample (37 breeds, official split), CPU.

Head first (base frozen), then the top of the base unfrozen at a 10x lower learning rate; the test
accuracy is compared with the linear probe's on the same split (``benchmarks/probe.py``).

    .venv/bin/python benchmarks/fine_tune.py  -> benchmarks/results/fine_tune.json
"""

from __future__ import annotations

import time

from common import OXFORD, write_result

from transferlab import config, datasets, pipeline, probe, training

BACKBONE = "efficientnet_lite0"
IMAGE_SIZE = 224
BATCH_SIZE = 32
EPOCHS_HEAD = 25
EPOCHS_FINE = 6
LEARNING_RATE = 1e-3
FINE_TUNE_LAYERS = 20


def main() -> None:
    config.set_seeds(0)
    start = time.perf_counter()
    splits = datasets.oxford_splits(OXFORD, task="breed", val_fraction=0.125, seed=0)
    train = pipeline.make_dataset(splits.train.read_paths, splits.train.labels, IMAGE_SIZE, BATCH_SIZE, shuffle=True)
    val = pipeline.make_dataset(splits.val.read_paths, splits.val.labels, IMAGE_SIZE, BATCH_SIZE)
    test = pipeline.make_dataset(splits.test.read_paths, splits.test.labels, IMAGE_SIZE, BATCH_SIZE)
    model = training.build_transfer_model(BACKBONE, splits.num_classes, IMAGE_SIZE, augment=True, dropout=0.5)
    training.compile_model(model, LEARNING_RATE)
    head = model.fit(
        train, validation_data=val, epochs=EPOCHS_HEAD, verbose=2, callbacks=training.default_callbacks(patience=4)
    )
    before = model.evaluate(test, verbose=0, return_dict=True)["accuracy"]
    head_seconds = time.perf_counter() - start
    training.unfreeze_top(model, FINE_TUNE_LAYERS)
    training.compile_model(model, LEARNING_RATE / 10)
    fine = model.fit(
        train,
        validation_data=val,
        initial_epoch=len(head.epoch),
        epochs=len(head.epoch) + EPOCHS_FINE,
        verbose=2,
        callbacks=training.default_callbacks(patience=2),
    )
    after = model.evaluate(test, verbose=0, return_dict=True)["accuracy"]
    seconds = time.perf_counter() - start
    linear = probe.linear_probe(OXFORD, task="breed", verbose=0)
    write_result(
        "fine_tune",
        {
            "backbone": BACKBONE,
            "task": "breed (37)",
            "n_train": len(splits.train),
            "n_val": len(splits.val),
            "n_test": len(splits.test),
            "epochs_head": len(head.epoch),
            "epochs_fine": len(fine.epoch),
            "fine_tune_layers": FINE_TUNE_LAYERS,
            "learning_rate": LEARNING_RATE,
            "test_accuracy_head_only": round(float(before), 4),
            "test_accuracy_fine_tuned": round(float(after), 4),
            "head_seconds": round(head_seconds, 1),
            "total_seconds": round(seconds, 1),
            "linear_probe_accuracy": round(linear.accuracy, 4),
            "reaches_probe": bool(after >= linear.accuracy),
        },
    )


if __name__ == "__main__":
    main()
