"""Test support: where the real sample data is, and synthetic look-alikes of the datasets' layouts
for machines without ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
OXFORD_REAL = SHARED_DATA / "oxford-iiit-pet"
CATS_DOGS_REAL = SHARED_DATA / "cats-vs-dogs"


def has_real_data() -> bool:
    if os.environ.get("TRANSFERLAB_TEST_SYNTHETIC"):  # exercise the fallback path on a machine with ../shared
        return False
    return (OXFORD_REAL / "annotations" / "trainval.txt").is_file() and (CATS_DOGS_REAL / "PetImages").is_dir()


requires_real_data = pytest.mark.skipif(not has_real_data(), reason="../shared/data (real photos) not present")


def _photo(rng, size=(96, 128), hue=0, species=1):
    """A smooth random image (not noise), so JPEG files look like photos to decoders."""
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([np.sin(xx / (7 + hue + c) + c) * np.cos(yy / (9 + c)) for c in range(3)], -1)
    # one colour per class: cats' red-dominant, dogs' blue-dominant (so species is learnable too)
    a, b = (37 * hue) % 120, (91 * hue) % 120
    tint = np.array([200 + hue % 55, a, b] if species == 1 else [a, b, 200 + hue % 55], dtype=float)
    img = 0.5 * tint + 0.5 * (127 + 100 * base) + rng.normal(0, 8, (h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def write_bad_files(folder: Path, rng) -> dict[str, str]:
    """Write one of each troublesome file into ``folder``; returns name -> expected outcome."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.jpg").write_bytes(b"")
    Image.fromarray(_photo(rng)).save(folder / "full.jpg", "JPEG", quality=90)
    data = (folder / "full.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(data[: len(data) // 2])
    (folder / "full.jpg").unlink()
    Image.fromarray(_photo(rng)).save(folder / "png_named.jpg", "PNG")
    Image.fromarray(_photo(rng)).convert("P").save(folder / "gif_named.jpg", "GIF")
    Image.fromarray(_photo(rng)).convert("CMYK").save(folder / "cmyk.jpg", "JPEG")
    Image.fromarray(_photo(rng)).convert("L").save(folder / "grey.jpg", "JPEG")
    (folder / "text.jpg").write_text("this is not an image\n")
    return {
        "empty.jpg": "empty",
        "truncated.jpg": "truncated",
        "text.jpg": "not an image",
        "png_named.jpg": "PNG named .jpg",
        "gif_named.jpg": "GIF named .jpg",
        "cmyk.jpg": "CMYK JPEG",
        "grey.jpg": "greyscale JPEG",
    }


# The 37 Oxford-IIIT Pet breeds in class-id order (cats' names start with a capital letter).
BREEDS = (
    "Abyssinian american_bulldog american_pit_bull_terrier basset_hound beagle Bengal Birman Bombay boxer "
    "British_Shorthair chihuahua Egyptian_Mau english_cocker_spaniel english_setter german_shorthaired "
    "great_pyrenees havanese japanese_chin keeshond leonberger Maine_Coon miniature_pinscher newfoundland Persian "
    "pomeranian pug Ragdoll Russian_Blue saint_bernard samoyed scottish_terrier shiba_inu Siamese Sphynx "
    "staffordshire_bull_terrier wheaten_terrier yorkshire_terrier"
).split()
CAT_BREEDS = [b for b in BREEDS if b[0].isupper()]
DOG_BREEDS = [b for b in BREEDS if b[0].islower()]


def make_synthetic_oxford(root: Path, per_breed: int = 6) -> Path:
    """Oxford-IIIT Pet's layout in miniature (37 breeds), plus one corrupt image in the test split."""
    from PIL import Image

    rng = np.random.default_rng(0)
    (root / "images").mkdir(parents=True)
    (root / "annotations").mkdir()
    header = "#Image CLASS-ID SPECIES BREED ID\n#ID: 1:37 Class ids\n"
    rows = []
    for cid, breed in enumerate(BREEDS, 1):
        species = 1 if breed in CAT_BREEDS else 2
        for n in range(1, per_breed + 1):
            Image.fromarray(_photo(rng, hue=cid, species=species)).save(root / "images" / f"{breed}_{n}.jpg", "JPEG")
            rows.append(f"{breed}_{n} {cid} {species} {cid}")
    (root / "images" / f"{BREEDS[-1]}_{per_breed}.jpg").write_bytes(b"\xff\xd8\xff\xe0 broken")
    trainval = [r for r in rows if int(r.split()[0].rsplit("_", 1)[1]) <= per_breed // 2]
    test = [r for r in rows if r not in trainval]
    (root / "annotations" / "list.txt").write_text(header + "\n".join(rows) + "\n")
    (root / "annotations" / "trainval.txt").write_text("\n".join(trainval) + "\n")
    (root / "annotations" / "test.txt").write_text("\n".join(test) + "\n")
    return root


def make_synthetic_cats_dogs(root: Path, per_class: int = 12) -> Path:
    from PIL import Image

    rng = np.random.default_rng(1)
    for label, sub in enumerate(("Cat", "Dog")):
        (root / "PetImages" / sub).mkdir(parents=True)
        for n in range(per_class):
            photo = _photo(rng, size=(90, 90), hue=3 * label, species=label + 1)
            Image.fromarray(photo).save(root / "PetImages" / sub / f"{n}.jpg")
    (root / "PetImages" / "Cat" / "666.jpg").write_bytes(b"")
    return root
