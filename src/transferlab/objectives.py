"""What dreaming and attacks optimise: a model's class scores, as log-probabilities."""

from __future__ import annotations

import keras
import tensorflow as tf

from transferlab import backbones


def log_prob_fn(model: keras.Model):
    """A function ``images -> (N, classes) log-probabilities`` for a model that outputs probabilities.

    Uses the model's logits when its last layer is a softmax named "predictions" (every ImageNet
    backbone here), so gradients stay informative even where a probability is 1.0 in float32.
    """
    logits = backbones.logits_model(model)
    if logits is not None:
        return lambda x: tf.nn.log_softmax(tf.cast(logits(x, training=False), tf.float32), axis=-1)
    return lambda x: tf.math.log(tf.cast(model(x, training=False), tf.float32) + 1e-12)


def input_size(model: keras.Model) -> int:
    shape = model.input_shape
    if shape[1] is None:
        raise ValueError("the model needs a fixed input size")
    return int(shape[1])


def logit_fn(model: keras.Model):
    """``images -> (N, classes)`` logits when the model exposes them, else log-probabilities."""
    logits = backbones.logits_model(model)
    if logits is not None:
        return lambda x: tf.cast(logits(x, training=False), tf.float32)
    return log_prob_fn(model)
