"""tf.data pipelines: decode -> resize -> cache -> (shuffle) -> batch -> (augment) -> prefetch.

Resize policy (the one place that decides it): scale the image so its *shorter* side is
``image_size / CROP_FRACTION`` (256 for 224, the ImageNet evaluation standard), bilinear with
antialiasing, then crop the central ``image_size x image_size`` square. Nothing is padded and
nothing is stretched. Batches are float32 RGB in [0, 255]: every backbone preprocesses inside.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

CROP_FRACTION = 0.875
AUTOTUNE = tf.data.AUTOTUNE


def resize_and_crop(image, image_size: int):
    """Shorter side to ``image_size / CROP_FRACTION``, then the central square; float32 out."""
    image = tf.convert_to_tensor(image)
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    scale = (image_size / CROP_FRACTION) / tf.reduce_min(shape)
    new = tf.maximum(tf.cast(tf.round(shape * scale), tf.int32), image_size)
    image = tf.image.resize(tf.cast(image, tf.float32), new, method="bilinear", antialias=True)
    top = (new[0] - image_size) // 2
    left = (new[1] - image_size) // 2
    image = image[top : top + image_size, left : left + image_size, :]
    image = tf.clip_by_value(image, 0.0, 255.0)
    return tf.ensure_shape(image, (image_size, image_size, 3))


def decode_file(path, image_size: int):
    """Read, decode (JPEG/PNG/GIF/BMP; RGB) and resize one file; uint8 out."""
    data = tf.io.read_file(path)
    image = tf.io.decode_image(data, channels=3, expand_animations=False)
    return tf.cast(tf.round(resize_and_crop(image, image_size)), tf.uint8)


def prepare_image(image, image_size: int) -> np.ndarray:
    """One in-memory (H, W, 3) image through the same resize policy; float32 array out."""
    return np.round(resize_and_crop(np.asarray(image), image_size).numpy())


def augmentation(seed: int | None = 0) -> keras.Sequential:
    """The course's augmentation: horizontal flips, small zooms and shifts (pets stay upright)."""
    return keras.Sequential(
        [
            keras.layers.RandomFlip("horizontal", seed=seed),
            keras.layers.RandomZoom(0.1, seed=seed),
            keras.layers.RandomTranslation(0.05, 0.05, seed=seed),
        ],
        name="augmentation",
    )


def make_dataset(
    read_paths,
    labels=None,
    image_size: int = 224,
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int = 0,
    augment: bool = False,
    cache: bool | str = True,
) -> tf.data.Dataset:
    """A batched dataset of ``(images, labels)`` (or images alone when ``labels`` is None).

    ``read_paths`` must be usable files (an :class:`transferlab.images.ImageIndex`'s
    ``read_paths``): the index, not the pipeline, decides what is usable. ``cache``: True keeps the
    decoded, resized uint8 images in memory after the first epoch; a string caches to that file.
    Deterministic given ``seed``.
    """
    paths = [str(p) for p in read_paths]
    if not paths:
        raise ValueError("no images to make a dataset of")
    ds = tf.data.Dataset.from_tensor_slices(paths)
    ds = ds.map(lambda p: decode_file(p, image_size), num_parallel_calls=AUTOTUNE, deterministic=True)
    if labels is not None:
        labels = np.asarray(labels)
        if len(labels) != len(paths):
            raise ValueError(f"{len(paths)} images but {len(labels)} labels")
        ds = tf.data.Dataset.zip((ds, tf.data.Dataset.from_tensor_slices(labels)))
    if cache:
        ds = ds.cache(cache if isinstance(cache, str) else "")
    if shuffle:
        ds = ds.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    to_float = (lambda x, y: (tf.cast(x, tf.float32), y)) if labels is not None else (lambda x: tf.cast(x, tf.float32))
    ds = ds.map(to_float, num_parallel_calls=AUTOTUNE)
    if augment:
        layers = augmentation(seed)
        if labels is not None:
            ds = ds.map(lambda x, y: (layers(x, training=True), y), num_parallel_calls=AUTOTUNE)
        else:
            ds = ds.map(lambda x: layers(x, training=True), num_parallel_calls=AUTOTUNE)
    return ds.prefetch(AUTOTUNE)


def load_images(read_paths, image_size: int = 224) -> np.ndarray:
    """A few files as one (N, size, size, 3) float32 array, through the same decode and resize."""
    return np.stack([decode_file(str(p), image_size).numpy().astype(np.float32) for p in read_paths])
