"""The course's datasets: verified downloads or local copies, their layouts, splits and labels.

A dataset is found, in this order: the ``data_dir`` argument (the dataset's own folder); the
folder named by ``TRANSFERLAB_DATA`` (holding ``oxford-iiit-pet/`` and ``cats-vs-dogs/``); a copy
downloaded earlier into the cache; a download (``keras.utils.get_file``: cached, SHA-256 checked,
extracted; fallback URLs tried in turn). Nothing is ever written into a data folder.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from transferlab import config, images

OXFORD_FOLDER = "oxford-iiit-pet"
CATS_DOGS_FOLDER = "cats-vs-dogs"
SPECIES = ("cat", "dog")


class DatasetError(RuntimeError):
    """A dataset that cannot be had: bad layout, failed download, wrong checksum, no network."""


class LayoutError(DatasetError, FileNotFoundError):
    """A folder that is not in the dataset's expected layout."""


class ChecksumError(DatasetError):
    """A downloaded file whose SHA-256 does not match the registry (tampered or truncated)."""


class DownloadError(DatasetError):
    """No URL of a remote file could be fetched (no network?)."""


@dataclass(frozen=True)
class RemoteFile:
    """One downloadable archive: where it lives, how big it is, its SHA-256."""

    name: str
    url: str
    size: int
    sha256: str
    fallback_urls: tuple[str, ...] = ()
    extract: bool = True

    @property
    def urls(self) -> tuple[str, ...]:
        return (self.url, *self.fallback_urls)


REMOTE_FILES: dict[str, RemoteFile] = {
    f.name: f
    for f in (
        RemoteFile(
            "kagglecatsanddogs_5340.zip",
            "https://download.microsoft.com/download/3/E/1/3E1C3F21-ECDB-4869-8368-6DEBA77B919F/kagglecatsanddogs_5340.zip",
            824_887_076,
            "b7974bd00a84a99921f36ee4403f089853777b5ae8d151c76a86e64900334af9",
        ),
        RemoteFile(
            "images.tar.gz",
            "https://thor.robots.ox.ac.uk/~vgg/data/pets/images.tar.gz",
            791_918_971,
            "67195c5e1c01f1ab5f9b6a5d22b8c27a580d896ece458917e61d459337fa318d",
            ("https://www.robots.ox.ac.uk/~vgg/data/pets/data/images.tar.gz",),
        ),
        RemoteFile(
            "annotations.tar.gz",
            "https://thor.robots.ox.ac.uk/~vgg/data/pets/annotations.tar.gz",
            19_173_078,
            "52425fb6de5c424942b7626b428656fcbd798db970a937df61750c0f1d358e91",
            ("https://www.robots.ox.ac.uk/~vgg/data/pets/data/annotations.tar.gz",),
        ),
    )
}
DATASET_FILES = {
    OXFORD_FOLDER: ("images.tar.gz", "annotations.tar.gz"),
    CATS_DOGS_FOLDER: ("kagglecatsanddogs_5340.zip",),
}


def download(remote: RemoteFile, folder: str | Path) -> Path:
    """Download, verify and (for archives) extract ``remote`` into ``folder``; return the result.

    A checksum mismatch removes the bad file and anything extracted from it, then raises
    :class:`ChecksumError`. If no URL answers, :class:`DownloadError` says how to use a local copy.
    """
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    stem = remote.name[: remote.name.find(".")] if "." in remote.name else remote.name
    target = folder / remote.name
    extracted = folder / f"{stem}_extracted"
    failures = []
    for url in remote.urls:
        try:
            result = keras.utils.get_file(
                fname=remote.name,
                origin=url,
                file_hash=remote.sha256,
                hash_algorithm="sha256",
                cache_subdir=str(folder),
                extract=remote.extract,
            )
            return Path(result)
        except ValueError as exc:  # keras: "Incomplete or corrupted file detected ... hash does not match"
            _remove(target, extracted)
            if "hash" not in str(exc).lower():
                raise
            raise ChecksumError(
                f"{remote.name} from {url} failed its SHA-256 check (expected {remote.sha256}): the download is "
                f"truncated or tampered with. The bad file was removed; run again to retry."
            ) from exc
        except Exception as exc:  # noqa: BLE001 - keras.utils.get_file wraps network errors in a bare Exception
            _remove(target, extracted)
            failures.append(f"{url}: {exc}")
    raise DownloadError(
        f"could not download {remote.name} ({remote.size / 1e6:.0f} MB); no network? Tried:\n  "
        + "\n  ".join(failures)
        + f"\nUse a local copy instead: pass data_dir=..., or set {config.DATA_ENV} to a folder holding "
        f"'{OXFORD_FOLDER}/' and '{CATS_DOGS_FOLDER}/' (see data/README.md)."
    )


def _remove(*paths: Path) -> None:
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists():
            path.unlink()


@dataclass
class Split:
    """Files of one split, their labels (ints) and the class names the labels index."""

    files: list[str]
    read_paths: list[str]
    labels: np.ndarray
    class_names: list[str]

    def __len__(self) -> int:
        return len(self.files)

    def subset(self, per_class: int | None, seed: int = 0) -> Split:
        """At most ``per_class`` files of each class (seeded), in the original order."""
        if not per_class:
            return self
        rng = np.random.default_rng(seed)
        keep = []
        for c in np.unique(self.labels):
            idx = np.flatnonzero(self.labels == c)
            keep.extend(rng.permutation(idx)[:per_class].tolist())
        keep = sorted(keep)
        return Split(
            [self.files[i] for i in keep], [self.read_paths[i] for i in keep], self.labels[keep], self.class_names
        )


@dataclass
class Splits:
    """train / val / test of one task, plus what the index skipped on the way."""

    task: str
    class_names: list[str]
    train: Split
    val: Split
    test: Split
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def _carve(items: list[int], labels: np.ndarray, fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Stratified, seeded: (kept, carved) index lists, at least one carved per class when possible."""
    rng = np.random.default_rng(seed)
    kept, carved = [], []
    items = np.asarray(items)
    for c in np.unique(labels[items]):
        idx = rng.permutation(items[labels[items] == c])
        n = int(round(len(idx) * fraction))
        if fraction > 0 and len(idx) > 1:
            n = max(n, 1)
        carved.extend(idx[:n].tolist())
        kept.extend(idx[n:].tolist())
    return sorted(kept), sorted(carved)


# --------------------------------------------------------------------------- Oxford-IIIT Pet


@dataclass
class OxfordPet:
    """The Oxford-IIIT Pet dataset on disk: ``images/<Breed>_<n>.jpg`` and ``annotations/*.txt``."""

    images_dir: Path
    annotations_dir: Path

    @classmethod
    def at(cls, root: str | Path) -> OxfordPet:
        """The dataset in ``root`` (holding ``images/`` and ``annotations/``); checks the layout."""
        root = Path(root)
        return cls(root / "images", root / "annotations").check()

    def check(self) -> OxfordPet:
        missing = [str(p) for p in (self.images_dir, self.annotations_dir) if not p.is_dir()]
        missing += [
            str(self.annotations_dir / n)
            for n in ("list.txt", "trainval.txt", "test.txt")
            if self.annotations_dir.is_dir() and not (self.annotations_dir / n).is_file()
        ]
        if missing:
            raise LayoutError(
                "not an Oxford-IIIT Pet folder: missing "
                + ", ".join(missing)
                + " (expected images/<Breed>_<n>.jpg and annotations/list.txt, trainval.txt, test.txt)"
            )
        return self

    def read_list(self, name: str) -> list[tuple[str, int, int]]:
        """Rows of an annotation file: (image name, class id 0..36, species 0 cat / 1 dog)."""
        rows = []
        for line_no, line in enumerate((self.annotations_dir / name).read_text().splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split()
            try:
                rows.append((parts[0], int(parts[1]) - 1, int(parts[2]) - 1))
            except (IndexError, ValueError) as exc:
                raise LayoutError(f"{self.annotations_dir / name}:{line_no}: malformed line {line!r}") from exc
        return rows

    def breed_names(self) -> list[str]:
        """The 37 breed names by class id, from ``list.txt`` (``Abyssinian`` ... ``yorkshire_terrier``)."""
        names: dict[int, str] = {}
        for image, cid, _ in self.read_list("list.txt"):
            names.setdefault(cid, image.rsplit("_", 1)[0])
        for split in ("trainval.txt", "test.txt"):
            for image, cid, _ in self.read_list(split):
                names.setdefault(cid, image.rsplit("_", 1)[0])
        return [names[i] for i in sorted(names)]

    def image_path(self, image: str) -> Path:
        return self.images_dir / f"{image}.jpg"


def oxford_pet(data_dir: str | Path | None = None, download_ok: bool = True) -> OxfordPet:
    """Find (or download) Oxford-IIIT Pet; see the module docstring for the order."""
    if data_dir is not None:
        return OxfordPet.at(data_dir)
    root = config.data_root()
    if root is not None and (root / OXFORD_FOLDER).is_dir():
        return OxfordPet.at(root / OXFORD_FOLDER)
    folder = config.cache_dir() / "downloads" / OXFORD_FOLDER
    pet = OxfordPet(folder / "images_extracted" / "images", folder / "annotations_extracted" / "annotations")
    if pet.images_dir.is_dir() and pet.annotations_dir.is_dir():
        return pet.check()
    if not download_ok:
        raise DownloadError(f"Oxford-IIIT Pet is not available locally; set {config.DATA_ENV} or pass data_dir")
    for name in DATASET_FILES[OXFORD_FOLDER]:
        download(REMOTE_FILES[name], folder)
    return pet.check()


def oxford_splits(
    data_dir: str | Path | None = None,
    task: str = "breed",
    val_fraction: float = 0.2,
    seed: int = 0,
    per_class: int | None = None,
    progress: bool = False,
) -> Splits:
    """Oxford's official trainval/test split, with a seeded, stratified validation split carved from
    trainval. ``task``: ``"breed"`` (37 classes) or ``"species"`` (cat/dog). ``per_class`` keeps at
    most that many training images per class (quick runs); val and test are kept whole.
    Unusable files are dropped by the index and reported in ``skipped``.
    """
    if task not in ("breed", "species"):
        raise ValueError(f"task must be 'breed' or 'species', not {task!r}")
    pet = oxford_pet(data_dir)
    trainval, test = pet.read_list("trainval.txt"), pet.read_list("test.txt")
    rows = trainval + test
    paths = [pet.image_path(r[0]) for r in rows]
    index = images.scan(paths, root=pet.images_dir, progress=progress)
    class_names = pet.breed_names() if task == "breed" else list(SPECIES)
    labels = np.array([r[1] if task == "breed" else r[2] for r in rows])
    usable = [i for i, p in enumerate(paths) if index.read_path(p) is not None]
    tv = [i for i in usable if i < len(trainval)]
    te = [i for i in usable if i >= len(trainval)]
    train, val = _carve(tv, labels, val_fraction, seed)

    def make(idx):
        return Split([str(paths[i]) for i in idx], [index.read_path(paths[i]) for i in idx], labels[idx], class_names)

    return Splits(task, class_names, make(train).subset(per_class, seed), make(val), make(te), dict(index.skipped))


# --------------------------------------------------------------------------- Cats vs Dogs


def cats_vs_dogs_root(data_dir: str | Path | None = None, download_ok: bool = True) -> Path:
    """The ``PetImages`` folder (holding ``Cat/`` and ``Dog/``) of Microsoft's Cats vs Dogs."""
    if data_dir is not None:
        return _check_petimages(Path(data_dir))
    root = config.data_root()
    if root is not None and (root / CATS_DOGS_FOLDER).is_dir():
        return _check_petimages(root / CATS_DOGS_FOLDER)
    folder = config.cache_dir() / "downloads" / CATS_DOGS_FOLDER
    extracted = folder / "kagglecatsanddogs_5340_extracted"
    if extracted.is_dir():
        return _check_petimages(extracted)
    if not download_ok:
        raise DownloadError(f"Cats vs Dogs is not available locally; set {config.DATA_ENV} or pass data_dir")
    download(REMOTE_FILES["kagglecatsanddogs_5340.zip"], folder)
    return _check_petimages(extracted)


def _check_petimages(path: Path) -> Path:
    candidates = [path, path / "PetImages"]
    for c in candidates:
        if (c / "Cat").is_dir() and (c / "Dog").is_dir():
            return c
    raise LayoutError(
        f"not a Cats vs Dogs folder: missing {path / 'PetImages' / 'Cat'} and {path / 'PetImages' / 'Dog'}"
        " (expected PetImages/Cat/N.jpg and PetImages/Dog/N.jpg)"
    )


def cats_vs_dogs_splits(
    data_dir: str | Path | None = None,
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 0,
    per_class: int | None = None,
    progress: bool = False,
) -> Splits:
    """A seeded, stratified train/val/test split of Cats vs Dogs (labels 0 cat, 1 dog).

    ``per_class`` first keeps at most that many images of each class (quick runs).
    """
    root = cats_vs_dogs_root(data_dir)
    paths, labels = [], []
    for label, sub in enumerate(("Cat", "Dog")):
        found = images.list_images(root / sub, recursive=False)
        paths += found
        labels += [label] * len(found)
    labels = np.array(labels)
    index = images.scan(paths, root=root, progress=progress)
    usable = [i for i, p in enumerate(paths) if index.read_path(p) is not None]
    if per_class:
        usable, _ = _carve(usable, labels, 0, seed)
        rng = np.random.default_rng(seed)
        keep = []
        for c in (0, 1):
            idx = [i for i in usable if labels[i] == c]
            keep += rng.permutation(idx)[:per_class].tolist()
        usable = sorted(keep)
    rest, test = _carve(usable, labels, test_fraction, seed)
    train, val = _carve(rest, labels, val_fraction / max(1e-9, 1 - test_fraction), seed + 1)

    def make(idx):
        return Split([str(paths[i]) for i in idx], [index.read_path(paths[i]) for i in idx], labels[idx], list(SPECIES))

    return Splits("species", list(SPECIES), make(train), make(val), make(test), dict(index.skipped))


def load_splits(dataset: str, data_dir=None, task: str = "species", **kwargs) -> Splits:
    """``dataset``: ``"cats_vs_dogs"`` or ``"oxford_pet"`` (``task`` breed or species)."""
    key = dataset.replace("-", "_").lower()
    if key in ("cats_vs_dogs", "catsvsdogs"):
        return cats_vs_dogs_splits(data_dir, **kwargs)
    if key in ("oxford_pet", "oxford_iiit_pet", "oxford"):
        return oxford_splits(data_dir, task=task, **kwargs)
    raise ValueError(f"unknown dataset {dataset!r}; choose 'cats_vs_dogs' or 'oxford_pet'")


def default_data_note() -> str:
    """Where data comes from right now, in one line (for notebooks)."""
    root = config.data_root()
    return f"local copies under {root}" if root else f"downloads cached under {config.cache_dir() / 'downloads'}"


__all__ = [n for n in dir() if not n.startswith("_") and n not in ("annotations", "os")]
