"""Grading the lab: build the autograder with otter-grader, grade a folder of submissions without Docker.

Each submission runs through ``otter run`` in a fresh temporary folder with its own copy of the
autograder zip, in its own process group with a time limit. A submission that is not a notebook,
raises, loops forever or leaves answers blank scores zero on the questions it does not answer,
and the batch goes on. The instructor's autograder zip is hashed before and after every
submission; a change stops the batch.

Limits: without containers, a submission runs with the grader's user rights. It cannot touch the
other submissions (they are never in its folder) and cannot change the autograder unnoticed, but
grade untrusted code on a machine or account that holds nothing else of value.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MASTER = Path("lab") / "master" / "pet_lab.ipynb"
DIST = Path("lab") / "dist"


class GradingError(RuntimeError):
    """The autograder itself is missing, broken or was tampered with."""


@dataclass
class SubmissionResult:
    student: str
    status: str  # graded, not a notebook, timed out, failed
    scores: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    note: str = ""

    @property
    def total(self) -> float:
        return float(sum(self.scores.values()))


def build_autograder(master: str | Path = MASTER, out_dir: str | Path = DIST, run_tests: bool = False) -> Path:
    """Run ``otter assign`` on the master notebook; returns the autograder zip it wrote.

    ``run_tests=True`` also executes the solution against every test, public and hidden, and fails
    if any does not pass (the environment decides the data: ``TRANSFERLAB_DATA``, ``TRANSFERLAB_SMOKE``).
    """
    from otter.assign import main as otter_assign

    master, out_dir = Path(master).resolve(), Path(out_dir).resolve()
    if not master.is_file():
        raise GradingError(f"no master notebook at {master}")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    cwd = os.getcwd()
    try:
        os.chdir(master.parent)  # otter resolves the notebook's relative paths (requirements) from here
        otter_assign(str(master), str(out_dir), no_pdfs=True, no_run_tests=not run_tests)
    finally:
        os.chdir(cwd)
    return find_autograder(out_dir)


def find_autograder(dist: str | Path = DIST) -> Path:
    zips = sorted((Path(dist) / "autograder").glob("*-autograder_*.zip"))
    if not zips:
        raise GradingError(f"no autograder zip under {Path(dist) / 'autograder'}; build it with otter assign")
    return zips[-1]


def questions(autograder: str | Path) -> dict[str, float]:
    """Autograded question names and their points, read from the autograder zip's test files."""
    out = {}
    with zipfile.ZipFile(autograder) as zf:
        for name in sorted(zf.namelist()):
            if name.startswith("tests/") and name.endswith(".py"):
                text = zf.read(name).decode()
                q = re.search(r'^name = "([^"]+)"', text, flags=re.M)
                p = re.search(r"^points = ([0-9.]+)", text, flags=re.M)
                if q:
                    out[q.group(1)] = float(p.group(1)) if p else 0.0
    if not out:
        raise GradingError(f"{autograder} holds no tests")
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _is_notebook(path: Path) -> bool:
    if path.suffix != ".ipynb":
        return False
    try:
        import nbformat

        nbformat.read(str(path), as_version=4)
    except Exception:  # noqa: BLE001 - anything unreadable is "not a notebook"
        return False
    return True


def grade_submission(path: str | Path, autograder: str | Path, timeout: int = 600) -> SubmissionResult:
    """Grade one submission in a fresh temporary folder; never raises for a bad submission."""
    path, autograder = Path(path), Path(autograder).resolve()
    names = questions(autograder)
    result = SubmissionResult(path.stem, "graded", {q: 0.0 for q in names})
    if not _is_notebook(path):
        result.status, result.note = "not a notebook", f"{path.name} is not a readable .ipynb notebook"
        return result
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="transferlab-grade-") as tmp:
        work = Path(tmp)
        submission = work / "submission.ipynb"
        shutil.copyfile(path, submission)
        shutil.copyfile(autograder, work / "autograder.zip")
        (work / "results").mkdir()
        otter = Path(sys.executable).with_name("otter")
        cmd = [
            str(otter) if otter.exists() else "otter",
            "run",
            "-a",
            "autograder.zip",
            "-o",
            "results",
            "--no-logo",
            "submission.ipynb",
        ]
        proc = subprocess.Popen(
            cmd, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the kernel too: it runs in the same process group
            proc.communicate()
            result.status, result.note = "timed out", f"stopped after {timeout} s"
            result.seconds = time.perf_counter() - start
            return result
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        results_file = work / "results" / "results.json"
        if not results_file.is_file():
            result.status = "failed"
            result.note = (output or "").strip().splitlines()[-1][:200] if output else "otter wrote no results"
        else:
            for test in json.loads(results_file.read_text()).get("tests", []):
                if test.get("name") in names:
                    result.scores[test["name"]] = float(test.get("score") or 0.0)
    result.seconds = time.perf_counter() - start
    return result


def grade_folder(
    submissions: str | Path,
    out_csv: str | Path = "scores.csv",
    timeout: int = 600,
    autograder: str | Path | None = None,
) -> int:
    """Grade every file in ``submissions`` (one per student) and write per-question scores to ``out_csv``.

    Returns 0 (a CLI exit code); raises :class:`GradingError` if the autograder is missing or changes.
    """
    from tqdm.auto import tqdm

    folder = Path(submissions)
    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    zip_path = Path(autograder) if autograder else None
    if zip_path is None:
        try:
            zip_path = find_autograder(DIST)
        except GradingError:
            print(f"Building the autograder from {MASTER} ...")
            zip_path = build_autograder()
    if not zip_path.is_file():
        raise GradingError(f"no autograder zip at {zip_path}")
    names = questions(zip_path)
    digest = _sha256(zip_path)
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    results = []
    for path in tqdm(files, desc="Grading", unit="submission"):
        results.append(grade_submission(path, zip_path, timeout=timeout))
        if _sha256(zip_path) != digest:
            raise GradingError(f"the autograder {zip_path} changed while grading {path.name}; batch stopped")
    out_csv = Path(out_csv)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    with open(out_csv, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "status", *names, "total", "max_total", "seconds", "note"])
        for r in results:
            writer.writerow(
                [
                    r.student,
                    r.status,
                    *(r.scores[q] for q in names),
                    r.total,
                    sum(names.values()),
                    round(r.seconds, 1),
                    r.note,
                ]
            )
    width = max([7, *(len(r.student) for r in results)])
    print(f"{'student':<{width}}  {'status':<14} {'total':>6} / {sum(names.values()):g}")
    for r in results:
        print(f"{r.student:<{width}}  {r.status:<14} {r.total:>6g}   {r.note}")
    print(f"wrote {out_csv} ({len(results)} submissions; manually graded questions are not included)")
    return 0


STUDENT = Path("lab") / "student" / "pet_lab.ipynb"


def normalized_cells(path: str | Path) -> list[tuple[str, str]]:
    """A notebook's (cell type, source) pairs: what "the same notebook" means for the stale check."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def assign(
    master: str | Path = MASTER, dist: str | Path = DIST, student: str | Path = STUDENT, run_tests: bool = False
) -> Path:
    """Regenerate the autograder (under ``dist``) and the committed student notebook from the master."""
    zip_path = build_autograder(master, dist, run_tests=run_tests)
    generated = Path(dist) / "student" / Path(master).name
    Path(student).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(generated, student)
    return zip_path
