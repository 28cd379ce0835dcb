"""The backbone registry and the ImageNet class names."""

from __future__ import annotations

import urllib.error

import numpy as np
import pytest

from transferlab import backbones, imagenet


@pytest.mark.parametrize("name", backbones.names())
def test_every_entry_builds_with_and_without_top(name):
    entry = backbones.get(name)
    x = np.random.default_rng(0).uniform(0, 255, (2, entry.input_size, entry.input_size, 3)).astype("float32")
    with_top = backbones.build(name, include_top=True, weights=None)
    probs = with_top.predict(x, verbose=0)
    assert probs.shape == (2, 1000)
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-4)
    assert backbones.logits_model(with_top).output_shape == (None, 1000)
    headless = backbones.build(name, include_top=False, weights=None, input_size=96)
    assert headless.predict(x[:, :96, :96], verbose=0).shape == (2, entry.feature_size)
    assert not headless.trainable_weights, "a feature extractor is frozen"


def test_preprocessing_is_inside_the_model():
    """Two models differing only in preprocessing give different features for the same pixels."""
    layer = backbones.ImageNetPreprocess("caffe")
    x = np.full((1, 2, 2, 3), [255.0, 0.0, 0.0], dtype="float32")  # pure red, RGB
    out = np.asarray(layer(x))
    np.testing.assert_allclose(out[0, 0, 0], [-103.939, -116.779, 255 - 123.68], rtol=1e-5)  # BGR minus mean
    np.testing.assert_allclose(np.asarray(backbones.ImageNetPreprocess("tf")(x))[0, 0, 0], [1, -1, -1])


def test_unknown_backbone_lists_the_choices():
    with pytest.raises(backbones.BackboneError, match="efficientnet_lite0"):
        backbones.get("alexnet")


def test_offline_error_names_the_file_and_the_alternative(monkeypatch, tmp_path):
    import keras.src.utils.file_utils as file_utils

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(file_utils, "urlretrieve", no_network)
    with pytest.raises(backbones.WeightsUnavailableError) as info:
        backbones.build("vgg16", include_top=False, input_size=64)
    message = str(info.value)
    assert "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5" in message
    assert str(tmp_path / "keras" / "models") in message
    assert "efficientnet_lite0" in message
    assert not backbones.available("vgg16")


def test_class_names_and_lookup():
    assert len(imagenet.classes()) == 1000
    assert imagenet.class_id("tabby") == 281
    assert imagenet.class_id("Zebra") == 340
    assert imagenet.class_id("golden_retriever") == 207
    assert imagenet.class_id("281") == 281
    assert imagenet.class_name(967) == "espresso"


@pytest.mark.parametrize("name,expected", [("crane", {134, 517}), ("tabbby", {281})])
def test_bad_names_list_candidates(name, expected):
    with pytest.raises(imagenet.ClassNameError) as info:
        imagenet.class_id(name)
    assert expected <= {i for i, _ in info.value.candidates}


def test_decode_top_k():
    p = np.zeros((1, 1000))
    p[0, [281, 340, 7]] = [0.6, 0.3, 0.1]
    top = imagenet.decode_top_k(p, 2)[0]
    assert [t["id"] for t in top] == [281, 340]
    assert top[0]["name"] == "tabby" and top[0]["probability"] == pytest.approx(0.6)
