"""The app in a real browser: Debian's chromium driven by playwright."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bgremover.hub import NAMED_MODELS
from tests.conftest import REPO

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("BGREMOVER_ARTIFACTS", REPO / "artifacts"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def page(app_url):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: apt-get install -y chromium (see .ci/run)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.goto(app_url)
        page.wait_for_selector("#cut-button", timeout=60_000)
        yield page
        browser.close()


def test_upload_toggle_cut_shows_result(page, photo_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.set_input_files("#input-image input[type=file]", str(photo_path))
    page.get_by_label("TTA: horizontal flip").check()
    page.click("#cut-button")
    page.wait_for_selector("#cutout img", timeout=60_000)
    source = page.get_attribute("#cutout img", "src")
    assert source and ".png" in source
    page.screenshot(path=str(ARTIFACTS / "cut_out.png"), full_page=True)
    assert (ARTIFACTS / "cut_out.png").stat().st_size > 10_000


def test_fast_model_choice_cuts_out(page, photo_path):
    page.set_input_files("#input-image input[type=file]", str(photo_path))
    page.get_by_label(f"Fast ({NAMED_MODELS['fast'].working_size} px, real-time)").check()
    page.click("#cut-button")
    page.wait_for_function(
        "document.querySelector('#cutout img') && document.querySelector('#cutout img').src.includes('.png')",
        timeout=60_000,
    )
    page.wait_for_function("document.body.innerText.includes('\"fast\"')", timeout=60_000)  # the Info JSON
    page.screenshot(path=str(ARTIFACTS / "cut_out_fast.png"), full_page=True)


def test_leaderboard_tab_shows_table_and_plots(page):
    page.get_by_role("tab", name="Leaderboard").click()
    page.wait_for_selector(".leaderboard-table table", state="visible", timeout=30_000)
    page.wait_for_selector(".js-plotly-plot", state="visible", timeout=30_000)
    assert page.locator(".leaderboard-table").first.inner_text().count("ours") >= 1
    page.screenshot(path=str(ARTIFACTS / "leaderboard.png"), full_page=True)
