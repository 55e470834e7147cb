"""Methods compared photo by photo on one set: the paired difference of a per-image metric against a
baseline method, with its bootstrap standard error, so that a gap can be told from the spread of
the photos (``python -m bgremover_leaderboard compare``).

A mean over a hundred photos moves by several thousandths when a few photos change; two methods
scored on the same photos are compared on their differences photo by photo, which removes the
photos' own difficulty from the spread.
"""

from __future__ import annotations

import numpy as np

from bgremover.metrics.paired import DRAWS, compare_scores


def paired_differences(
    document: dict,
    baseline: str,
    framing: str | None = None,
    metric: str = "iou",
    draws: int = DRAWS,
    seed: int = 0,
) -> list[dict]:
    """One row per method available on the set of ``document`` (a results file's contents): its
    photo count, mean and median of ``metric``, how many photos it scores above / below
    ``baseline``, the mean and median of its difference from ``baseline`` and the standard error of
    the mean difference (``draws`` bootstrap resamples of the photos). ``framing`` keeps the photos
    of that framing only (:mod:`bgremover_leaderboard.framing`). Rows are sorted by mean difference.

    Example:
        >>> result = lambda scores: {"available": True, "per_image": {s: {"iou": v} for s, v in scores.items()}}
        >>> document = {"results": {"a": result({"x": 0.9, "y": 0.8}), "b": result({"x": 0.8, "y": 0.8})}}
        >>> row = paired_differences(document, baseline="b")[0]
        >>> row["method"], row["better"], row["worse"], round(row["mean_difference"], 3)
        ('a', 1, 0, 0.05)
    """
    results = {name: r for name, r in document["results"].items() if r.get("available")}
    if baseline not in results:
        raise ValueError(f"{baseline!r} has no results on this set; methods: {', '.join(sorted(results))}")
    stems = sorted(results[baseline]["per_image"])
    if framing is not None:
        labels = document.get("framing") or {}
        stems = [stem for stem in stems if labels.get(stem) == framing]
        if not stems:
            raise ValueError(f"no photo of framing {framing!r} on this set")
    base = [results[baseline]["per_image"][stem][metric] for stem in stems]
    rows = []
    for name, result in results.items():
        if name == baseline or any(stem not in result["per_image"] for stem in stems):
            continue
        scores = np.array([result["per_image"][stem][metric] for stem in stems])
        rows.append(
            {"method": name, "photos": len(stems), "mean": float(scores.mean()), "median": float(np.median(scores))}
            | compare_scores(scores, base, draws, seed)
        )
    return sorted(rows, key=lambda row: -row["mean_difference"])


def difference_cells(row: dict) -> list[str]:
    """A row's photos better / worse, mean difference (standard error) and median difference, as printed."""
    return [
        f"{row['better']} / {row['worse']}",
        f"{row['mean_difference']:+.4f} ({row['standard_error']:.4f})",
        f"{row['median_difference']:+.4f}",
    ]


def markdown(rows: list[dict], baseline: str, metric: str = "iou") -> str:
    """The rows of :func:`paired_differences` as a Markdown table."""
    lines = [
        f"| method | photos | mean {metric} | median | better / worse than {baseline} | "
        "mean difference (standard error) | median difference |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        scores = [f"{row['mean']:.4f}", f"{row['median']:.4f}"]
        cells = [row["method"], str(row["photos"]), *scores, *difference_cells(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
