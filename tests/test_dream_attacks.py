"""Gradient descent on the image: ideal-class pictures and adversarial examples."""

from __future__ import annotations

import numpy as np
import pytest

from support import requires_real_data
from transferlab import attacks, dream, imagenet, images

TABBY = imagenet.class_id("tabby")


@pytest.fixture(scope="module")
def dreams(lite0):
    plain = dream.dream(lite0, TABBY, steps=200, seed=0)
    smooth = dream.dream(lite0, TABBY, steps=200, tv_weight=10.0, seed=0)
    return plain, smooth


def test_dream_reaches_the_class(dreams):
    plain, _ = dreams
    assert plain.steps == 200
    assert max(plain.probabilities) >= 0.99
    assert plain.image.min() >= 0 and plain.image.max() <= 255


def test_variation_loss_makes_a_smoother_image_the_network_still_believes(dreams, lite0, tmp_path):
    plain, smooth = dreams
    assert smooth.total_variation < 0.5 * plain.total_variation
    written = images.load_rgb(images.save_png(smooth.image, tmp_path / "cat.png")).astype("float32")
    assert lite0.predict(written[None], verbose=0)[0, TABBY] >= 0.95


def test_dream_is_deterministic(lite0):
    a = dream.dream(lite0, 340, steps=3, seed=7)
    b = dream.dream(lite0, 340, steps=3, seed=7)
    np.testing.assert_allclose(a.image, b.image, atol=1e-3)
    assert len(a.probabilities) == 4


@requires_real_data
def test_targeted_attack_turns_real_dogs_into_tabbies(lite0, real_dog_images, tmp_path):
    result = attacks.pgd(lite0, real_dog_images, TABBY, eps=2, steps=10)
    dogs = (result.original_top1 >= 151) & (result.original_top1 <= 268)
    assert dogs.sum() >= 20, "the network first sees dogs"
    assert result.success[dogs].mean() >= 0.95
    assert result.max_abs_perturbation <= 2
    # the effect survives an 8-bit PNG round trip
    written = np.stack(
        [images.load_rgb(images.save_png(x, tmp_path / f"{i}.png")) for i, x in enumerate(result.adversarial[:6])]
    ).astype("float32")
    np.testing.assert_array_equal(written, result.adversarial[:6])
    assert (lite0.predict(written, verbose=0).argmax(-1) == TABBY).all() == result.success[:6].all()
    assert np.abs(written - result.original[:6]).max() <= 2


def test_attack_flips_a_synthetic_image_too(lite0):
    """Without real photos: any image can be pushed to a target class within eps=4."""
    x = np.random.default_rng(0).integers(0, 256, (2, 224, 224, 3)).astype("float32")
    result = attacks.pgd(lite0, x, TABBY, eps=4, steps=10)
    assert result.success.all()
    assert result.max_abs_perturbation <= 4
    assert len(result.target_probability_per_step) == result.steps + 1


def test_fgsm_changes_the_label(lite0):
    from skimage import data

    from transferlab import pipeline

    x = pipeline.prepare_image(data.chelsea(), 224)
    result = attacks.fgsm(lite0, x, eps=4)
    assert result.max_abs_perturbation <= 4
    assert result.success.all(), "one signed step of 4/255 is enough to change chelsea's top-1"


def test_attack_rejects_bad_inputs(lite0):
    with pytest.raises(ValueError, match="8-bit"):
        attacks.pgd(lite0, np.zeros((224, 224, 3)), TABBY, eps=0.5)
    with pytest.raises(ValueError, match="RGB"):
        attacks.pgd(lite0, np.zeros((224, 224)), TABBY)
