"""The course as a whole: notebook hygiene, badges, `transferlab run`, `transferlab demo`."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

from transferlab import runner

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LAB = [ROOT / "lab" / "master" / "pet_lab.ipynb", ROOT / "lab" / "student" / "pet_lab.ipynb"]
BADGE = re.compile(r"https://colab\.research\.google\.com/github/([^/]+/[^/]+)/blob/([^/]+)/([^)\s]+\.ipynb)")
BINDER = re.compile(r"https://mybinder\.org/v2/gh/([^/]+/[^/]+)/([^?]+)\?labpath=([^)\s]+)")


def test_course_notebooks_are_named_and_numbered():
    assert [p.name for p in NOTEBOOKS] == [
        "01_feature_extraction.ipynb",
        "02_fine_tuning.ipynb",
        "03_ideal_cat.ipynb",
        "04_adversarial_dog.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS + LAB, ids=lambda p: p.name)
def test_notebook_hygiene(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), f"{path.name}: strip outputs"
    assert set(nb.metadata) <= {"kernelspec", "language_info", "otter"}, f"volatile metadata: {set(nb.metadata)}"
    first = next(c for c in nb.cells if c.cell_type == "markdown")
    assert first.source.startswith("# "), "a title first"
    badges = BADGE.findall(first.source)
    assert badges, "an Open in Colab badge"
    for _, _, target in badges:
        assert (ROOT / target).is_file(), f"the Colab badge points to {target}, which does not exist"
    if path.parent.name == "notebooks":
        assert badges[0][2] == f"notebooks/{path.name}", "the badge opens this very notebook"
    for _, _, labpath in BINDER.findall(first.source):
        assert (ROOT / unquote(labpath)).is_file()
    setup = next(c for c in code if "google.colab" in c.source)
    assert "pip install" in setup.source and ("set_seeds" in setup.source or "set_seeds" in code[1].source)


@pytest.mark.parametrize("path", NOTEBOOKS + LAB[:1], ids=lambda p: p.name)
def test_notebook_has_one_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and "google.colab" not in c.source]
    params = code[0].source
    tree = ast.parse(params)
    targets = [
        t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)
    ]
    assert targets and all(t.isupper() for t in targets), "the first cell after setup sets UPPER_CASE parameters"
    others = [c.source for c in code[1:]]
    assert not any(
        re.search(r"^[A-Z_]{3,} = ", s, flags=re.M) for s in others if "BEGIN TEST" not in s and "BACKBONE = " not in s
    ), "one parameters cell"


def test_readme_badges_resolve():
    readme = (ROOT / "README.md").read_text()
    colab = BADGE.findall(readme)
    binder = BINDER.findall(readme)
    assert len(colab) >= 5 and binder
    for _, _, target in colab:
        assert (ROOT / target).is_file(), target
    for _, _, labpath in binder:
        assert (ROOT / unquote(labpath)).is_file(), labpath


def test_runner_selects_and_reports_a_failing_cell(tmp_path):
    assert [p.name for p in runner.select(["03"], ROOT)] == ["03_ideal_cat.ipynb"]
    with pytest.raises(FileNotFoundError, match="01_feature_extraction"):
        runner.select(["nope"], ROOT)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print('HEADLINE: answer = 42')"), nbformat.v4.new_code_cell("1 / 0")]
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    result = runner.execute(path, tmp_path / "build", timeout=60)
    assert result.status == "failed" and "cell 1" in result.error and "ZeroDivisionError" in result.error
    assert result.headline == "answer 42"
    assert (tmp_path / "build" / "html" / "broken.html").is_file()


def test_run_command_executes_a_notebook_and_prints_the_table(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "transferlab", "run", "--smoke", "03", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert re.search(r"notebooks/03_ideal_cat.ipynb\s+ok\s+[\d.]+\s+tabby_probability 0\.\d+", out.stdout)
    assert (tmp_path / "html" / "03_ideal_cat.html").is_file()


def test_demo_offline_under_a_minute(tmp_path):
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "transferlab", "demo", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    seconds = time.perf_counter() - start
    assert out.returncode == 0, out.stderr[-2000:]
    assert "espresso" in out.stdout and "golden retriever" in out.stdout
    assert {p.name for p in tmp_path.glob("*.png")} >= {"classified.png", "ideal_tabby.png", "adversarial_chelsea.png"}
    assert seconds < 90, f"demo took {seconds:.0f} s"
