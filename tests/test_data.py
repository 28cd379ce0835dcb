"""Images, datasets, downloads, tf.data pipelines, the feature cache and the linear probe."""

from __future__ import annotations

import hashlib
import http.server
import io
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest

from support import BREEDS, has_real_data, requires_real_data, write_bad_files
from transferlab import datasets, features, images, pipeline, probe


def _digest_tree(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_bad_files_are_skipped_or_converted_and_never_touched(tmp_path):
    folder = tmp_path / "photos"
    expected = write_bad_files(folder, np.random.default_rng(0))
    before = _digest_tree(folder)
    index = images.scan(folder)
    assert _digest_tree(folder) == before, "scanning must not change, move or delete user files"
    by_name = {Path(p).name: r for p, r in {**index.skipped, **index.converted}.items()}
    assert by_name == expected
    summary = index.summary()
    assert summary["usable"] == 4
    assert summary["skipped"] == {"empty": 1, "truncated": 1, "not an image": 1}
    for path in index.read_paths:  # converted copies live in the cache, not beside the originals
        assert not Path(path).is_relative_to(folder)
    # a full tf.data epoch over the usable files completes, with RGB batches of the right size
    batches = list(pipeline.make_dataset(index.read_paths, np.arange(4), image_size=64, batch_size=3))
    assert sum(len(x) for x, _ in batches) == 4
    assert batches[0][0].shape[1:] == (64, 64, 3)


def test_index_is_cached_and_reused(tmp_path, monkeypatch):
    folder = tmp_path / "photos"
    write_bad_files(folder, np.random.default_rng(1))
    first = images.scan(folder)
    monkeypatch.setattr(images, "inspect_image", lambda p: pytest.fail("rescanned an unchanged folder"))
    assert images.scan(folder).summary() == first.summary()


def test_load_rgb_errors_are_clear(tmp_path):
    with pytest.raises(images.ImageError, match="no such file"):
        images.load_rgb(tmp_path / "missing.jpg")
    (tmp_path / "notes.jpg").write_text("hello")
    with pytest.raises(images.ImageError, match="not an image"):
        images.load_rgb(tmp_path / "notes.jpg")


def test_resize_policy_crops_the_centre_without_stretching():
    img = np.zeros((100, 200, 3), np.uint8)
    img[:, 50:150] = 255  # a white centre square on a wide black image
    out = pipeline.prepare_image(img, 32)
    assert out.shape == (32, 32, 3)
    assert out.min() > 200, "the central crop of a wide image is its middle, unstretched"


def test_oxford_splits(oxford_dir):
    breed = datasets.oxford_splits(oxford_dir, task="breed", seed=3)
    again = datasets.oxford_splits(oxford_dir, task="breed", seed=3)
    assert breed.train.files == again.train.files, "splits are deterministic given the seed"
    official_test = {ln.split()[0] for ln in (oxford_dir / "annotations" / "test.txt").read_text().splitlines() if ln}
    assert {Path(f).stem for f in breed.test.files} <= official_test
    assert not set(breed.train.files) & set(breed.val.files)
    assert not {Path(f).stem for f in breed.train.files + breed.val.files} & official_test
    species = datasets.oxford_splits(oxford_dir, task="species")
    assert species.class_names == ["cat", "dog"]
    for f, y in zip(species.test.files, species.test.labels, strict=True):
        assert (Path(f).name[0].isupper()) == (y == 0), "cat breeds' names start with a capital"
    if has_real_data():
        assert breed.num_classes == 37
        assert len(breed.train) + len(breed.val) == 592 and len(breed.test) == 296
    else:
        assert breed.class_names == BREEDS
        assert len(breed.skipped) == 1, "the corrupt synthetic image is skipped and reported"
    small = datasets.oxford_splits(oxford_dir, task="breed", per_class=2)
    assert np.bincount(small.train.labels).max() == 2


def test_cats_vs_dogs_splits(cats_dogs_dir):
    s = datasets.cats_vs_dogs_splits(cats_dogs_dir, seed=0)
    total = len(s.train) + len(s.val) + len(s.test)
    assert total == (300 if has_real_data() else 24)
    assert set(np.unique(s.test.labels)) == {0, 1}
    assert len(set(s.train.files) | set(s.val.files) | set(s.test.files)) == total
    tiny = datasets.cats_vs_dogs_splits(cats_dogs_dir, per_class=5)
    assert len(tiny.train) + len(tiny.val) + len(tiny.test) == 10


def test_wrong_layouts_name_what_is_missing(tmp_path):
    (tmp_path / "images").mkdir()
    with pytest.raises(datasets.LayoutError, match="annotations"):
        datasets.oxford_pet(tmp_path)
    with pytest.raises(datasets.LayoutError, match="PetImages"):
        datasets.cats_vs_dogs_root(tmp_path)


def test_transferlab_data_env_finds_local_copies(monkeypatch, oxford_dir):
    monkeypatch.setenv("TRANSFERLAB_DATA", str(oxford_dir.parent))
    assert datasets.oxford_pet().images_dir == oxford_dir / "images"


# ----------------------------------------------------------------------------- downloads


@pytest.fixture()
def served_archive(tmp_path):
    """A small .tar.gz served over HTTP on 127.0.0.1."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in (("pets/a.txt", b"alpha\n"), ("pets/b.txt", b"beta\n")):
            info = tarfile.TarInfo(name)
            info.size = len(text)
            tar.addfile(info, io.BytesIO(text))
    root = tmp_path / "www"
    root.mkdir()
    (root / "pets.tar.gz").write_bytes(buf.getvalue())

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(root), **k)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/pets.tar.gz", hashlib.sha256(buf.getvalue()).hexdigest()
    server.shutdown()


def test_download_with_the_right_hash_extracts(served_archive, tmp_path):
    url, sha = served_archive
    remote = datasets.RemoteFile("pets.tar.gz", url, 0, sha)
    out = datasets.download(remote, tmp_path / "cache")
    assert (out / "pets" / "a.txt").read_text() == "alpha\n"
    assert datasets.download(remote, tmp_path / "cache") == out  # cached: no second download


def test_download_with_a_wrong_hash_fails_and_leaves_nothing(served_archive, tmp_path):
    url, _ = served_archive
    remote = datasets.RemoteFile("pets.tar.gz", url, 0, "0" * 64)
    with pytest.raises(datasets.ChecksumError, match="SHA-256"):
        datasets.download(remote, tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == [], "no bad archive, no half-extracted folder"


def test_download_falls_back_then_explains_no_network(served_archive, tmp_path):
    url, sha = served_archive
    dead = "http://127.0.0.1:9/nothing-here.tar.gz"
    remote = datasets.RemoteFile("pets.tar.gz", dead, 0, sha, fallback_urls=(url,))
    assert (datasets.download(remote, tmp_path / "a") / "pets" / "b.txt").exists()
    with pytest.raises(datasets.DownloadError, match="TRANSFERLAB_DATA"):
        datasets.download(datasets.RemoteFile("pets.tar.gz", dead, 0, sha), tmp_path / "b")
    assert list((tmp_path / "b").iterdir()) == []


def test_registry_has_the_real_files():
    cats = datasets.REMOTE_FILES["kagglecatsanddogs_5340.zip"]
    assert cats.size == 824_887_076 and cats.sha256.startswith("b7974bd0")
    assert datasets.REMOTE_FILES["images.tar.gz"].fallback_urls


# ----------------------------------------------------------------------------- features and probe


def test_feature_cache_is_reused_and_keyed_by_the_file_list(oxford_dir, monkeypatch):
    paths = datasets.oxford_splits(oxford_dir, task="species").test.read_paths[:6]
    first = features.extract_features("efficientnet_lite0", paths, verbose=0)
    assert first.shape == (6, 1280)
    from transferlab import backbones

    monkeypatch.setattr(backbones, "build", lambda *a, **k: pytest.fail("cache miss"))
    np.testing.assert_array_equal(features.extract_features("efficientnet_lite0", paths, verbose=0), first)
    monkeypatch.undo()
    fewer = features.extract_features("efficientnet_lite0", paths[:5], verbose=0)
    np.testing.assert_allclose(fewer, first[:5], atol=1e-4)


@requires_real_data
@pytest.mark.parametrize("task,minimum", [("species", 0.98), ("breed", 0.86)])
def test_linear_probe_on_real_photos(task, minimum):
    from support import OXFORD_REAL

    result = probe.linear_probe(OXFORD_REAL, task=task, verbose=0)
    assert (result.n_train, result.n_test) == (592, 296)
    assert result.accuracy >= minimum
