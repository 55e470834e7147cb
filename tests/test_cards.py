"""The shipped tiers' model cards say what the committed results say: each README.md is exactly what
``python -m bgremover_leaderboard tier-card`` writes from its card.yaml and bgremover_leaderboard/results today."""

from __future__ import annotations

import pytest

from bgremover.pretrained import PRETRAINED_DIR
from bgremover_leaderboard.report import load_results
from bgremover_leaderboard.tier_card import results_table, tier_card

TIERS = sorted(p.parent.name for p in PRETRAINED_DIR.glob("*/card.yaml"))


def test_every_shipped_tier_has_a_card_source():
    assert TIERS == ["bgremover-best", "bgremover-fast", "bgremover-fast-plus", "bgremover-lite2"]


@pytest.mark.parametrize("tier", TIERS)
def test_the_committed_card_matches_the_committed_results(tier):
    folder = PRETRAINED_DIR / tier
    assert (folder / "README.md").read_text() == tier_card(folder), (
        f"regenerate it: python -m bgremover_leaderboard tier-card {folder.relative_to(PRETRAINED_DIR.parents[1])}"
    )


def test_a_card_row_is_the_results_number():
    results = load_results()
    row = results_table(results, {"ours": "default"})[2]
    cells = row.strip("|").split("|")
    assert cells[0].strip() == "default"
    assert float(cells[1]) == round(results["ccp_test"]["results"]["ours"]["mean"]["iou"], 3)
    assert float(cells[-1]) == round(results["ccp_test"]["results"]["ours"]["latency_ms"]["p95"])
