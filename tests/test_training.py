"""Transfer models: freezing, fine-tuning, BatchNormalization, saving, strategies."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from transferlab import backbones, datasets, pipeline, training


def test_transfer_model_freezes_the_base_and_trains_the_head():
    model = training.build_transfer_model("efficientnet_lite0", num_classes=3, image_size=96, augment=False)
    head = [w for w in model.trainable_weights]
    assert len(head) == 2 and head[0].shape == (1280, 3), "only the new dense layer trains"
    unfrozen = training.unfreeze_top(model, 12)
    assert unfrozen and all("bn" not in n for n in unfrozen)
    bns = [
        layer
        for layer in backbones.flat_layers(training.base_of(model))
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert not any(layer.trainable for layer in bns), "BatchNormalization stays frozen"
    assert training.count_trainable(model) > 1280 * 3 + 3
    with pytest.raises(ValueError, match="no layer"):
        training.unfreeze_top(model, from_layer="nope")
    training.freeze(model)
    assert len(model.trainable_weights) == 2


def test_fit_learns_and_batchnorm_statistics_do_not_move(oxford_dir, tmp_path):
    splits = datasets.oxford_splits(oxford_dir, task="species", per_class=16)
    train = pipeline.make_dataset(
        splits.train.read_paths, splits.train.labels, image_size=128, batch_size=8, shuffle=True
    )
    test_split = splits.test.subset(24)
    test = pipeline.make_dataset(test_split.read_paths, test_split.labels, image_size=128, batch_size=16)
    model = training.build_transfer_model("efficientnet_lite0", num_classes=2, image_size=128)
    training.compile_model(model, 1e-3)
    model.fit(train, epochs=3, verbose=0)
    training.unfreeze_top(model, 10)
    training.compile_model(model, 1e-4)
    bn = training.base_of(model).get_layer("head_bn")
    before = [w.copy() for w in bn.get_weights()]
    history = model.fit(
        train, epochs=1, verbose=0, callbacks=training.default_callbacks(tmp_path / "best.keras", monitor="loss")
    )
    after = bn.get_weights()
    for b, a in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)
    key = training.metric_key(history.history, "acc")
    assert key == "accuracy"
    accuracy = model.evaluate(test, verbose=0, return_dict=True)["accuracy"]
    assert accuracy >= 0.75, "32 training photos and 4 short epochs already beat chance (0.5) by far"
    reloaded = keras.models.load_model(tmp_path / "best.keras")
    x = next(iter(test))[0][:4]
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-4)


def test_merge_histories_marks_phases():
    merged, starts = training.merge_histories(
        {"loss": [3, 2], "accuracy": [0.5, 0.6]}, {"loss": [1], "accuracy": [0.9]}
    )
    assert merged["loss"] == [3, 2, 1] and starts == [0, 2]
    assert training.metric_key({"acc": [1]}, "accuracy") == "acc"


def test_mirrored_strategy_on_two_logical_cpus():
    """Training under MirroredStrategy across two logical CPU devices (a fresh process)."""
    code = textwrap.dedent(
        """
        import numpy as np, tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from transferlab import training
        strategy = training.get_strategy("mirrored")
        assert strategy.num_replicas_in_sync == 2, strategy.num_replicas_in_sync
        model = training.build_transfer_model("efficientnet_lite0", 2, image_size=64, augment=False,
                                              weights=None, strategy=strategy)
        with strategy.scope():
            training.compile_model(model, 1e-2)
        x = np.random.default_rng(0).uniform(0, 255, (16, 64, 64, 3)).astype("float32")
        y = (x.mean(axis=(1, 2, 3)) > 127).astype("int32")
        h = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        print("REPLICAS", strategy.num_replicas_in_sync, "LOSS", h.history["loss"][-1])
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "REPLICAS 2" in out.stdout


def test_batchnorm_modes_differ_and_leave_the_model_untouched(lite0):
    model = training.build_transfer_model("efficientnet_lite0", num_classes=2, image_size=96, augment=False)
    x = np.random.default_rng(0).uniform(0, 255, (8, 96, 96, 3)).astype("float32")
    before = model.predict(x, verbose=0)
    trainable_before = len(model.trainable_weights)
    modes = training.batchnorm_modes(model, x)
    assert modes["relative_difference"] > 0.1, "batch statistics change the features a lot"
    np.testing.assert_allclose(model.predict(x, verbose=0), before, atol=1e-5)
    assert len(model.trainable_weights) == trainable_before
