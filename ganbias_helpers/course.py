"""What the course notebooks share: the steering experiment's size on this machine, and running notebooks headless."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import torch

from .device import native_bfloat16, on_gpu

#: The original course's experiment size, run on every device (a CPU included).
FULL_IMAGES, FULL_STEPS = 256, 30


@dataclass(frozen=True)
class ExperimentSize:
    """How many noise vectors to steer and how many steps to take in each direction."""

    n_images: int
    steps: int


def experiment_size(device: torch.device | str, verbose: bool = True) -> ExperimentSize:
    """The steering experiment's size: the original course's full size, on a GPU and on a CPU alike.

    ``GANBIAS_EXPERIMENT_SIZE=IMAGES,STEPS`` overrides it (for fast nbgrader autograding).

    Args:
        device: Where the models run.
        verbose: On a CPU, print a note saying what runs, in which precision, and roughly how long it takes.

    Returns:
        The size to use.
    """
    override = os.environ.get("GANBIAS_EXPERIMENT_SIZE", "").strip()
    if override:  # e.g. "8,2" while grading with nbgrader: the graded checks do not depend on it
        try:
            n_images, steps = (int(v) for v in override.split(","))
        except ValueError:
            raise ValueError(f"GANBIAS_EXPERIMENT_SIZE should be 'IMAGES,STEPS', like '8,2', not {override!r}") \
                from None
        if verbose:
            print(f"Note: GANBIAS_EXPERIMENT_SIZE is set: steering {n_images} images for {steps} steps each way.")
        return ExperimentSize(n_images, steps)
    if verbose and not on_gpu(device):
        precision = (
            "in bfloat16, which this CPU runs natively" if native_bfloat16(device)
            else "in float32 (this CPU has no native bfloat16)"
        )
        print(
            f"Note: no GPU found, so the CPU steers the full {FULL_IMAGES} faces for {FULL_STEPS} steps each way, "
            f"{precision}. On 2 cores one run takes about 10 to 80 seconds, depending on the CPU "
            "(holding an attribute, in notebook 6, about twice as long)."
        )
    return ExperimentSize(FULL_IMAGES, FULL_STEPS)


#: The matplotlib backend Jupyter uses, so figures come back as images when a notebook runs headless.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def run_notebook(
    path: str | os.PathLike,
    workdir: str | os.PathLike | None = None,
    timeout: int = 600,
    kernel_name: str = "python3",
) -> tuple[nbformat.NotebookNode, float]:
    """Execute a notebook top to bottom, headless, and return it with its outputs and the seconds it took.

    The notebook file itself is left untouched: it is read, run in memory, and returned.
    Figures are produced as in Jupyter (inline PNG outputs), whatever ``MPLBACKEND`` is set to here.

    Args:
        path: The ``.ipynb`` file.
        workdir: The kernel's working directory (default: the notebook's folder). Anything the
            notebook writes lands there.
        timeout: Seconds allowed per cell.
        kernel_name: The Jupyter kernel to run it with.

    Returns:
        ``(notebook, seconds)``.

    Raises:
        nbclient.exceptions.CellExecutionError: If a cell raises an error.
    """
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    cwd = Path(workdir) if workdir is not None else path.parent
    env = {**os.environ, "MPLBACKEND": INLINE_BACKEND}
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name, resources={"metadata": {"path": str(cwd)}})
    started = time.perf_counter()
    client.execute(env=env)
    return nb, time.perf_counter() - started


def image_outputs(nb: nbformat.NotebookNode) -> int:
    """How many image outputs (PNG or SVG) the code cells of an executed notebook hold."""
    return sum(
        1
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if {"image/png", "image/svg+xml"} & set(output.get("data", {}))
    )
