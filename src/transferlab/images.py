"""Decoding images for real, once: the index of usable files, without touching the user's files.

Every file is opened and fully decoded with Pillow. A file that cannot be used is *skipped* with a
reason (``empty``, ``truncated``, ``corrupt``, ``not an image``, ``unsupported format``); a file that
can be used after conversion (a PNG or GIF named ``.jpg``, a CMYK, greyscale or palette JPEG) is
*converted* to an RGB PNG in the cache folder and kept. Nothing in the data folder is ever
written, moved or deleted. The index is cached (keyed by the folder's file list, sizes and times).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from transferlab import config

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp")
INDEX_VERSION = 1
_NATIVE = {"JPEG", "PNG"}  # formats the tf.data pipeline decodes itself (when RGB)


class ImageError(ValueError):
    """An image file that cannot be used, with the reason."""


@dataclass
class Verdict:
    """What scanning one file found."""

    status: str  # "usable", "converted" or "skipped"
    reason: str = ""  # skipped: why; converted: what it was
    read_path: str = ""  # the file the pipeline reads (the original or a converted copy)


@dataclass
class ImageIndex:
    """The usable files of a scan, in scan order, plus what was skipped and converted."""

    root: str
    files: list[str] = field(default_factory=list)  # original paths, usable (converted included)
    read_paths: list[str] = field(default_factory=list)  # what to decode for each of ``files``
    skipped: dict[str, str] = field(default_factory=dict)  # path -> reason
    converted: dict[str, str] = field(default_factory=dict)  # path -> what it was

    def read_path(self, path: str | Path) -> str | None:
        """The file to decode for an original ``path``; ``None`` when it was skipped or not scanned."""
        return self._lookup().get(str(path))

    def _lookup(self) -> dict[str, str]:
        if getattr(self, "_map", None) is None:
            self._map = dict(zip(self.files, self.read_paths, strict=True))
        return self._map

    def summary(self) -> dict:
        """``{"usable": N, "skipped": {reason: count}, "converted": {kind: count}}``."""
        return {
            "usable": len(self.files),
            "skipped": dict(Counter(self.skipped.values())),
            "converted": dict(Counter(self.converted.values())),
        }

    def to_json(self) -> dict:
        return {
            "version": INDEX_VERSION,
            "root": self.root,
            "files": self.files,
            "read_paths": self.read_paths,
            "skipped": self.skipped,
            "converted": self.converted,
        }


def inspect_image(path: str | Path) -> Verdict:
    """Decode ``path`` for real and say whether it is usable, needs converting, or is skipped."""
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            return Verdict("skipped", "empty")
        with Image.open(path) as img:
            fmt = img.format or "?"
            try:
                img.load()
            except OSError as exc:
                return Verdict("skipped", "truncated" if "truncated" in str(exc).lower() else "corrupt")
            except Exception:  # noqa: BLE001 - Pillow raises many kinds on broken data
                return Verdict("skipped", "corrupt")
            if fmt == "JPEG" and img.mode == "RGB":
                return Verdict("usable", read_path=str(path))
            if fmt in _NATIVE and img.mode == "RGB" and path.suffix.lower() == f".{fmt.lower()}":
                return Verdict("usable", read_path=str(path))
            named = path.suffix.lower().lstrip(".") or "no extension"
            if fmt != "JPEG" and named in ("jpg", "jpeg"):
                kind = f"{fmt} named .{named}"
            elif fmt == "JPEG":
                kind = {"L": "greyscale JPEG", "CMYK": "CMYK JPEG"}.get(img.mode, f"{img.mode} JPEG")
            else:
                kind = f"{fmt} {img.mode}"
            return Verdict("converted", kind, read_path=str(_convert(img, path)))
    except FileNotFoundError:
        return Verdict("skipped", "missing")
    except UnidentifiedImageError:
        return Verdict("skipped", "not an image")
    except (OSError, ValueError, SyntaxError):
        return Verdict("skipped", "unsupported format")


def _file_key(path: Path) -> str:
    st = path.stat()
    return hashlib.sha256(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:24]


def _convert(img: Image.Image, path: Path) -> Path:
    """Write an RGB PNG copy of ``img`` into the cache (atomically) and return its path."""
    out_dir = config.cache_dir() / "converted"
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{_file_key(path)}.png"
    if target.is_file():
        return target
    if getattr(img, "is_animated", False):
        img.seek(0)
    rgb = img.convert("RGB")
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".tmp-", suffix=".png")
    os.close(fd)
    try:
        rgb.save(tmp, format="PNG")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def list_images(folder: str | Path, recursive: bool = True) -> list[Path]:
    """Image-like files under ``folder`` (by extension), sorted."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    pattern = "**/*" if recursive else "*"
    return sorted(p for p in folder.glob(pattern) if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def scan(
    paths, root: str | Path | None = None, use_cache: bool = True, workers: int | None = None, progress: bool = False
) -> ImageIndex:
    """Scan image files (a folder, or a list of paths) once and return the :class:`ImageIndex`.

    The result is cached in ``<cache>/index/`` keyed by the exact list of files with their sizes
    and modification times, so a rescan of an unchanged folder is a file read.
    """
    if isinstance(paths, (str, Path)):
        root = root or paths
        paths = list_images(paths)
    paths = [Path(p) for p in paths]
    stats = []
    for p in paths:
        try:
            st = p.stat()
            stats.append(f"{p}|{st.st_size}|{st.st_mtime_ns}")
        except FileNotFoundError:
            stats.append(f"{p}|missing")
    key = hashlib.sha256(("\n".join(stats) + f"|v{INDEX_VERSION}").encode()).hexdigest()[:32]
    cache_file = config.cache_dir() / "index" / f"{key}.json"
    if use_cache and cache_file.is_file():
        try:
            data = json.loads(cache_file.read_text())
            index = ImageIndex(data["root"], data["files"], data["read_paths"], data["skipped"], data["converted"])
            if all(os.path.exists(p) for p in index.read_paths):
                return index
        except (ValueError, KeyError):
            pass
    iterator = paths
    with ThreadPoolExecutor(max_workers=workers or min(8, (os.cpu_count() or 2) * 2)) as pool:
        results = pool.map(inspect_image, iterator)
        if progress:
            from tqdm.auto import tqdm

            results = tqdm(results, total=len(paths), desc="Scanning images", unit="img")
        verdicts = list(results)
    index = ImageIndex(str(root or ""))
    for p, v in zip(paths, verdicts, strict=True):
        if v.status == "skipped":
            index.skipped[str(p)] = v.reason
            continue
        index.files.append(str(p))
        index.read_paths.append(v.read_path)
        if v.status == "converted":
            index.converted[str(p)] = v.reason
    _atomic_write_text(cache_file, json.dumps(index.to_json()))
    return index


def _atomic_write_text(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_rgb(path: str | Path) -> np.ndarray:
    """One image as a uint8 RGB array; a missing or unusable file raises :class:`ImageError`."""
    path = Path(path)
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if path.is_dir():
        raise ImageError(f"{path}: is a folder, not an image")
    verdict = inspect_image(path)
    if verdict.status == "skipped":
        raise ImageError(f"{path}: cannot be used as an image ({verdict.reason})")
    with Image.open(verdict.read_path) as img:
        return np.asarray(img.convert("RGB"))


def save_png(image, path: str | Path) -> Path:
    """Write an (H, W, 3) image in [0, 255] as an 8-bit PNG (rounded, clipped); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arr = np.clip(np.rint(np.asarray(image, dtype=np.float64)), 0, 255).astype(np.uint8)
    Image.fromarray(arr).save(path, format="PNG")
    return path
