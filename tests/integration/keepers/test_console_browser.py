"""The console's dashboard in a real browser: Debian's headless Chromium driven by Selenium through Debian's
chromedriver (both given by path, so Selenium Manager never downloads anything), against a keeper running on
the LiteSVM RPC node while the scenario trades.

Signed in with an operator token, the page shows the bots running; pausing the market maker (through the
confirmation step) changes its state in the page and in the API; the kill switch, which the role forbids, is
refused in the page and changes nothing; a screenshot shows the main panels drawn. The browser's calls are
blocking: they run in a thread while the keeper and its console run in the test's event loop.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from keepers.console.audit import read_audit
from tests.binaries import require_binary
from tests.integration.console.support import api_client
from tests.integration.keepers.harness import SETTINGS, KeeperWorld
from tests.integration.keepers.test_console import maker_quotes, start_console_keeper

pytestmark = pytest.mark.slow

PANELS = ("panel-fleet", "panel-pnl", "panel-inventory", "panel-risk", "panel-alerts", "panel-controls", "panel-audit")
WAIT_S = 30


def _browser(profile: Path) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = require_binary("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--window-size=1400,1900", f"--user-data-dir={profile}"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(executable_path=require_binary("chromedriver")), options=options)


class Page:
    """The dashboard in the browser; every method blocks (call it through ``asyncio.to_thread``)."""

    def __init__(self, driver: Any, url: str) -> None:
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver, self.url = driver, url
        self.wait = WebDriverWait(driver, WAIT_S)

    def sign_in(self, token: str) -> str:
        from selenium.webdriver.common.by import By

        self.driver.get(self.url)
        self.driver.find_element(By.ID, "token").send_keys(token)
        self.driver.find_element(By.ID, "signin-button").click()
        self.wait.until(lambda d: d.find_element(By.ID, "main").is_displayed() and d.find_element(By.ID, "whoami").text)
        return self.driver.find_element(By.ID, "whoami").text

    def bot_state(self, name: str) -> str:
        from selenium.webdriver.common.by import By

        cells = self.driver.find_elements(By.CSS_SELECTOR, f'#bots td[data-bot="{name}"]')
        return cells[0].text if cells else ""

    def wait_state(self, name: str, state: str) -> None:
        self.wait.until(lambda d: self.bot_state(name) == state)

    def confirm(self) -> str:
        from selenium.webdriver.common.by import By

        self.wait.until(lambda d: d.find_element(By.ID, "confirm").is_displayed())
        text = self.driver.find_element(By.ID, "confirm-text").text
        self.driver.find_element(By.ID, "confirm-ok").click()
        return text

    def pause(self, name: str) -> str:
        from selenium.webdriver.common.by import By

        self.driver.find_element(By.CSS_SELECTOR, f'#bots button[data-bot="{name}"][data-action="pause"]').click()
        return self.confirm()

    def kill(self) -> str:
        from selenium.webdriver.common.by import By

        self.driver.find_element(By.ID, "kill").click()
        self.confirm()
        self.wait.until(lambda d: "refused" in d.find_element(By.ID, "message").text)
        return self.driver.find_element(By.ID, "message").text

    def wait_audit(self, text: str) -> None:
        from selenium.webdriver.common.by import By

        self.wait.until(lambda d: text in d.find_element(By.ID, "audit").text)

    def panels(self) -> dict[str, tuple[int, int, int, int]]:
        """Each main panel's box (x, y, width, height) in CSS pixels, if displayed."""
        from selenium.webdriver.common.by import By

        out = {}
        for pid in PANELS:
            e = self.driver.find_element(By.ID, pid)
            if e.is_displayed():
                r = e.rect
                out[pid] = (round(r["x"]), round(r["y"]), round(r["width"]), round(r["height"]))
        return out

    def wait_chart(self) -> None:
        # The PnL chart's canvas drew its series once a few stream updates came in.
        self.wait.until(lambda d: d.execute_script(
            "const c = document.getElementById('chart-pnl'); const px = c.getContext('2d')"
            ".getImageData(0, 0, c.width, c.height).data; let n = 0;"
            "for (let i = 3; i < px.length; i += 4) if (px[i]) n++; return n > 500;"))

    def screenshot(self, path: Path) -> bytes:
        png = self.driver.get_screenshot_as_png()
        path.write_bytes(png)
        return png


def _non_blank(png: bytes, box: tuple[int, int, int, int], ratio: float) -> int:
    """Distinct colours in ``box`` of the screenshot (device pixels = CSS pixels * ``ratio``)."""
    img = Image.open(io.BytesIO(png)).convert("RGB")
    x, y, w, h = (round(v * ratio) for v in box)
    return len(img.crop((x, y, x + w, y + h)).getcolors(maxcolors=1 << 24) or ())


async def test_the_dashboard_signs_in_pauses_a_bot_and_refuses_a_forbidden_action(
        perp_program: bytes, mock_oracle_program: bytes, tmp_path: Path) -> None:
    require_binary("chromium")
    require_binary("chromedriver")
    world = KeeperWorld.start(perp_program, mock_oracle_program, tmp_path, SETTINGS)
    running = driver = None
    try:
        running, tokens = start_console_keeper(world, tmp_path)
        await running.start()
        world.begin_trading()
        await maker_quotes(world, running)
        url = running.keeper.console.url
        driver = await asyncio.to_thread(_browser, tmp_path / "profile")
        page = Page(driver, url)
        whoami = await asyncio.to_thread(page.sign_in, tokens["operator"])
        assert whoami.endswith("(operator)")
        await asyncio.to_thread(page.wait_state, "market_maker", "running")
        await asyncio.to_thread(page.wait_state, "liquidator", "running")
        async with api_client(url, tokens) as api:
            assert (await api.ok("GET", "/api/bots/market_maker", "viewer"))["state"] == "running"
            prompt = await asyncio.to_thread(page.pause, "market_maker")
            assert prompt == "pause market_maker"
            await asyncio.to_thread(page.wait_state, "market_maker", "paused")
            assert (await api.ok("GET", "/api/bots/market_maker", "viewer"))["state"] == "paused"
            assert not running.keeper.bot_running("market_maker") and running.keeper.bot_running("liquidator")

            message = await asyncio.to_thread(page.kill)
            assert "role operator may not kill (needs admin)" in message
            await asyncio.to_thread(page.wait_audit, "role operator may not kill")
            bots = {b["name"]: b["state"] for b in await api.ok("GET", "/api/bots", "viewer")}
            assert bots["liquidator"] == bots["mark_price"] == "running"  # the refused kill stopped nothing
            assert not any(a["name"] == "kill switch" for a in await api.ok("GET", "/api/alerts", "viewer"))

        await asyncio.to_thread(page.wait_chart)
        panels = await asyncio.to_thread(page.panels)
        assert set(panels) == set(PANELS), panels
        assert all(w > 200 and h > 100 for _, _, w, h in panels.values()), panels
        png = await asyncio.to_thread(page.screenshot, tmp_path / "console.png")
        ratio = await asyncio.to_thread(driver.execute_script, "return window.devicePixelRatio")
        for pid, box in panels.items():
            if box[1] + box[3] <= 1900:  # within the window
                assert _non_blank(png, box, ratio) > 5, pid  # text, tables and charts drawn, not a flat box
        entries = read_audit(tmp_path / "audit.jsonl")
        assert [(e["action"], e["outcome"], e["role"]) for e in entries] == [
            ("pause", "applied", "operator"), ("kill", "refused", "operator")]
    finally:
        if driver is not None:
            await asyncio.to_thread(driver.quit)
        if running is not None:
            await running.stop()
        world.stop()
