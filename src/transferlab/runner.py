"""``transferlab run``: execute the course's notebooks and the lab solution, in order, headless.

Executed copies go to ``build/executed/`` and HTML to ``build/html/``; a closing table gives each
notebook's status, time and headline metric (the ``HEADLINE:`` line it prints). Exit status 1 if
any failed, naming the cell and the error.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

COURSE = (
    "notebooks/01_feature_extraction.ipynb",
    "notebooks/02_fine_tuning.ipynb",
    "notebooks/03_ideal_cat.ipynb",
    "notebooks/04_adversarial_dog.ipynb",
    "lab/master/pet_lab.ipynb",
)
HEADLINE = re.compile(r"^HEADLINE: (.+?) = (.+)$", flags=re.M)


@dataclass
class RunResult:
    notebook: str
    status: str
    seconds: float
    headline: str = ""
    error: str = ""


def select(names, root: Path) -> list[Path]:
    """The course notebooks matching ``names`` (numbers like ``01``, or parts of file names); all if none."""
    paths = [root / p for p in COURSE]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"run this from the course folder: {missing[0]} not found")
    if not names:
        return paths
    chosen = [p for p in paths if any(n in p.name or p.name.startswith(n.zfill(2)) for n in names)]
    if not chosen:
        raise FileNotFoundError(
            f"no course notebook matches {' '.join(names)}; they are: " + ", ".join(p.name for p in paths)
        )
    return chosen


def execute(path: Path, out_dir: Path, timeout: int) -> RunResult:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError
    from nbconvert import HTMLExporter

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    status, error = "ok", ""
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as exc:
        status = "failed"
        cell = next(
            (
                i
                for i, c in enumerate(nb.cells)
                if c.cell_type == "code" and any(o.get("output_type") == "error" for o in c.get("outputs", []))
            ),
            None,
        )
        lines = [ln for ln in str(exc).splitlines() if ln.strip()]
        error = f"cell {cell}: {lines[-1] if lines else type(exc).__name__}"[:300]
    seconds = time.perf_counter() - start
    stem = path.stem if path.parent.name != "master" else "lab_" + path.stem
    (out_dir / "executed").mkdir(parents=True, exist_ok=True)
    (out_dir / "html").mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_dir / "executed" / f"{stem}.ipynb")
    html, _ = HTMLExporter().from_notebook_node(nb)
    (out_dir / "html" / f"{stem}.html").write_text(html, encoding="utf-8")
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    found = HEADLINE.findall(text)
    headline = f"{found[-1][0]} {found[-1][1]}" if found else ""
    return RunResult(str(path), status, seconds, headline, error)


def run_course(names=(), smoke: bool = False, out_dir: str | Path = "build", timeout: int = 1800) -> int:
    from tqdm.auto import tqdm

    root = Path.cwd()
    paths = select(list(names), root)
    if smoke:
        os.environ["TRANSFERLAB_SMOKE"] = "1"  # inherited by the kernels
    out = Path(out_dir)
    results = []
    bar = tqdm(paths, desc="Running the course", unit="notebook")
    for path in bar:
        bar.set_postfix_str(path.name)
        results.append(execute(path, out, timeout))
    width = max(len(Path(r.notebook).relative_to(root).as_posix()) for r in results)
    print(f"\n{'notebook':<{width}}  {'status':<7} {'seconds':>8}  headline")
    for r in results:
        print(
            f"{Path(r.notebook).relative_to(root).as_posix():<{width}}  {r.status:<7} {r.seconds:>8.1f}  {r.headline}"
        )
        if r.error:
            print(f"{'':<{width}}  error in {r.error}")
    print(f"\nexecuted copies in {out / 'executed'}, HTML in {out / 'html'}")
    return 0 if all(r.status == "ok" for r in results) else 1
