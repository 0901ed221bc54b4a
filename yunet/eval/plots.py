"""PR-curve plots of WIDER FACE results (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

from yunet.eval.widerface import DIFFICULTIES, WiderFaceResult


def plot_pr_curves(result: WiderFaceResult, output_dir: str | Path, *, label: str = "yunet") -> list[Path]:
    """Write one PNG per difficulty, `pr_<difficulty>.png`, with precision against recall.

    Returns:
        The written paths.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for difficulty in DIFFICULTIES:
        curve = result.pr_curves[difficulty]
        figure, axes = plt.subplots(figsize=(5, 5))
        axes.plot(curve[:, 1], curve[:, 0], label=f"{label} (AP {result.ap[difficulty]:.3f})")
        title = f"WIDER FACE val {difficulty}"
        if result.is_subset:
            title += f" (subset: {result.num_images} of {result.num_images_total} images)"
        axes.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.01), title=title)
        axes.grid(True, alpha=0.3)
        axes.legend(loc="lower left")
        path = output_dir / f"pr_{difficulty}.png"
        figure.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(figure)
        paths.append(path)
    return paths
