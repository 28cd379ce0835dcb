"""The offline EfficientNet-Lite0 port: the checkpoint reader, the weights, the predictions, the cache."""

from __future__ import annotations

import importlib.util
import time

import numpy as np
import pytest

from reference_inputs import REFERENCE, reference_inputs
from transferlab import backbones, imagenet, pipeline
from transferlab.torch_legacy import CheckpointFormatError, load_legacy_state_dict


def test_torch_is_not_installed():
    assert importlib.util.find_spec("torch") is None, "setting up must never pull torch"


def test_checkpoint_reads_without_torch():
    from transferlab import lite0 as lite0_module

    state = load_legacy_state_dict(lite0_module.checkpoint_path())
    assert len(state) == 296
    params = sum(
        v.size for k, v in state.items() if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))
    )
    assert params == 4_652_008
    assert state["_fc.weight"].shape == (1000, 1280)
    assert state["_blocks.15._depthwise_conv.weight"].shape == (1152, 1, 3, 3)
    assert state["_conv_stem.weight"].dtype == np.float32


def test_checkpoint_reader_rejects_other_files(tmp_path):
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"PK\x03\x04 not a legacy pickle")
    with pytest.raises(CheckpointFormatError):
        load_legacy_state_dict(bad)


def test_every_weight_is_converted(lite0):
    from transferlab import lite0 as lite0_module

    trainable = sum(int(np.prod(w.shape)) for w in lite0.trainable_weights)
    assert trainable == 4_652_008
    state = load_legacy_state_dict(lite0_module.checkpoint_path())
    np.testing.assert_array_equal(lite0.get_layer("logits").get_weights()[1], state["_fc.bias"])
    np.testing.assert_array_equal(lite0.get_layer("head_bn").get_weights()[3], state["_bn1.running_var"])


def test_chelsea_and_coffee(lite0):
    from skimage import data

    x = np.stack([pipeline.prepare_image(data.chelsea(), 224), pipeline.prepare_image(data.coffee(), 224)])
    top = imagenet.decode_top_k(lite0.predict(x, verbose=0), 3)
    assert {t["id"] for t in top[0]} == {282, 285, 281}  # tiger cat, Egyptian cat, tabby
    assert top[1][0]["id"] == 967 and top[1][0]["probability"] > 0.9  # espresso


def test_logits_match_committed_reference(lite0):
    expected = np.load(REFERENCE)["logits"]
    got = backbones.logits_model(lite0).predict(reference_inputs(), verbose=0)
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)


def test_cache_is_used_and_a_corrupt_cache_is_rebuilt(lite0):
    from transferlab import lite0 as lite0_module

    cache = lite0_module.weights_cache_path()
    assert cache.is_file(), "the first build must have cached the converted weights"
    start = time.perf_counter()
    again = lite0_module.efficientnet_lite0()
    assert time.perf_counter() - start < 30
    good = again.get_layer("logits").get_weights()[0]
    cache.write_bytes(b"corrupt")
    rebuilt = lite0_module.efficientnet_lite0()
    np.testing.assert_array_equal(rebuilt.get_layer("logits").get_weights()[0], good)
    assert cache.stat().st_size > 1_000_000
    assert not list(cache.parent.glob(".tmp-*")), "no half-written files left behind"
