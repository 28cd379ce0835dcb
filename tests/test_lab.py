"""The lab: the master's own tests pass, the student notebook is current, a class is graded in one batch."""

from __future__ import annotations

import csv
import hashlib
import time
from pathlib import Path

import nbformat
import pytest

from transferlab import cli, grading

ROOT = Path(__file__).resolve().parents[1]
MASTER = ROOT / "lab" / "master" / "pet_lab.ipynb"
STUDENT = ROOT / "lab" / "student" / "pet_lab.ipynb"


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """otter assign with run_tests: executes the solution (smoke mode) against every public and hidden test."""
    out = tmp_path_factory.mktemp("dist")
    grading.build_autograder(MASTER, out, run_tests=True)  # raises if any test fails on the solution
    return out


def test_student_notebook_is_not_stale(dist):
    generated = dist / "student" / "pet_lab.ipynb"
    assert grading.normalized_cells(STUDENT) == grading.normalized_cells(generated), (
        "lab/student/pet_lab.ipynb is stale: run `transferlab assign` and commit the result"
    )


def test_autograder_questions(dist):
    points = grading.questions(grading.find_autograder(dist))
    assert points == {
        "q1_split": 2,
        "q2_balance": 1,
        "q3_backbone": 2,
        "q4_train": 2,
        "q5_evaluate": 4,
        "q7_challenge": 1,
    }


def _insert_after(nb, marker: str, source: str):
    index = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and marker in c.source)
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(source))
    return nb


def test_grading_a_class_with_broken_submissions(dist, tmp_path):
    solution = nbformat.read(dist / "autograder" / "pet_lab.ipynb", as_version=4)
    subs = tmp_path / "submissions"
    subs.mkdir()
    nbformat.write(solution, subs / "ada_solution.ipynb")
    (subs / "bob_untouched.ipynb").write_bytes(STUDENT.read_bytes())
    raises = nbformat.read(dist / "autograder" / "pet_lab.ipynb", as_version=4)
    for cell in raises.cells:  # q4's answer raises (after trying to delete the autograder from its folder)
        if cell.cell_type == "code" and "train_head_on_features" in cell.source and "def test" not in cell.source:
            cell.source = (
                "import os\nfor f in os.listdir('.'):\n    if f.endswith('.zip'):\n        os.remove(f)\n"
                "raise RuntimeError('student bug')\n" + cell.source
            )
    nbformat.write(raises, subs / "cy_raises.ipynb")
    loops = _insert_after(
        nbformat.read(dist / "autograder" / "pet_lab.ipynb", as_version=4), "oxford_splits", "while True:\n    pass"
    )
    nbformat.write(loops, subs / "dee_loops.ipynb")
    partial = nbformat.read(STUDENT, as_version=4)
    for cell in partial.cells:
        if cell.cell_type == "code" and cell.source.startswith("splits = ..."):
            cell.source = cell.source.replace(
                "splits = ...", 'splits = datasets.oxford_splits(task="breed", per_class=PER_CLASS)'
            )
        if cell.cell_type == "code" and cell.source.strip() == "train_counts = ...":
            cell.source = "train_counts = np.bincount(splits.train.labels, minlength=37)"
    nbformat.write(partial, subs / "eve_blank_after_q2.ipynb")
    (subs / "fay_essay.ipynb").write_text("Dear instructor, my dog ate my notebook.")
    autograder = grading.find_autograder(dist)
    digest = hashlib.sha256(autograder.read_bytes()).hexdigest()

    start = time.perf_counter()
    code = cli.main(
        ["grade", str(subs), "--out", str(tmp_path / "scores.csv"), "--timeout", "60", "--autograder", str(autograder)]
    )
    seconds = time.perf_counter() - start
    assert code == 0
    assert hashlib.sha256(autograder.read_bytes()).hexdigest() == digest, "the autograder is untouched"
    rows = {r["student"]: r for r in csv.DictReader(open(tmp_path / "scores.csv"))}
    assert {s: float(r["total"]) for s, r in rows.items()} == {
        "ada_solution": 12,
        "bob_untouched": 0,
        "cy_raises": 5,
        "dee_loops": 0,
        "eve_blank_after_q2": 3,
        "fay_essay": 0,
    }
    assert rows["dee_loops"]["status"] == "timed out"
    assert rows["fay_essay"]["status"] == "not a notebook"
    assert float(rows["cy_raises"]["q3_backbone"]) == 2 and float(rows["cy_raises"]["q4_train"]) == 0
    assert float(rows["bob_untouched"]["q5_evaluate"]) == 0, "no accuracy points for the untouched notebook"
    assert seconds < 600
    print(f"graded {len(rows)} submissions in {seconds:.0f} s")
