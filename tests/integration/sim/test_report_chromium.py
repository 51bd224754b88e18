"""A simulation report opened in headless Chromium (Debian's package): every chart is drawn, no script fails.

Chromium runs the page's scripts offline (``--virtual-time-budget`` lets plotly finish) and dumps the DOM;
a drawn plotly chart has the ``js-plotly-plot`` class and ``svg.main-svg`` elements. The report writes any
JavaScript error into the page (``pre.pk-js-error``); the second test proves that trap works, so that its
absence in the first means something.
"""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

from rich.console import Console

from sim.report import render_report, write_report
from sim.run_record import SimRun
from sim.summary_view import print_summary
from tests.binaries import require_binary
from tests.sim_runs import synthetic_run


def _dump_dom(page: Path, profile: Path) -> str:
    result = subprocess.run(
        [require_binary("chromium"), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={profile}", "--virtual-time-budget=10000", "--dump-dom", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _charts(dom: str) -> dict[str, tuple[str, int]]:
    """Chart id -> (its classes, ``main-svg`` elements before the next chart)."""
    parts = re.split(r'(?=<div id="chart-\d+")', dom)[1:]
    out = {}
    for part in parts:
        head = re.match(r'<div id="(chart-\d+)" class="([^"]*)"', part)
        assert head is not None
        out[head.group(1)] = (head.group(2), len(re.findall(r'<svg class="main-svg"', part)))
    return out


def test_report_renders_every_chart(tmp_path: Path) -> None:
    run = synthetic_run(seed=1, rows=300)
    runs = [run, *(synthetic_run(seed) for seed in range(2, 6))]
    page = write_report(runs, tmp_path / "report.html", title="Chromium check")
    written = re.findall(r'<div id="(chart-\d+)" class="plotly-graph-div"', page.read_text())
    # Histograms: 6 protocol figures, the maker's PnL, Sharpe and drawdown, 2 benchmarks' PnL; then the
    # first run's 2 markets' prices, funding, OI, liquidations, bad debt, insurance fund, strategy.
    assert len(written) == 11 + 8
    dom = _dump_dom(page, tmp_path / "profile")
    assert '<pre class="pk-js-error">' not in dom, re.findall(r'<pre class="pk-js-error">([^<]*)', dom)
    charts = _charts(dom)
    assert sorted(charts) == sorted(written)
    for chart_id, (classes, svgs) in charts.items():
        assert "js-plotly-plot" in classes.split(), chart_id
        assert svgs >= 1, chart_id
    # The lines themselves are drawn: plotly's trace paths are in the DOM.
    assert dom.count('class="js-line"') >= 3 * 2 + 2


def test_a_script_error_shows_in_the_page(tmp_path: Path) -> None:
    html = render_report(synthetic_run(rows=5)).replace("</body>", "<script>undefinedFunction();</script></body>")
    page = tmp_path / "broken.html"
    page.write_text(html, encoding="utf-8")
    dom = _dump_dom(page, tmp_path / "profile")
    assert re.search(r'<pre class="pk-js-error">JavaScript error: [^<]*undefinedFunction', dom)


def _record_real_run(perp_program: bytes, slots: int, every: int) -> SimRun:
    """Step today's crash scenario (``sim.scenario``: maker, takers, oracle crash) on the real program,
    cranking prices, fills and funding by hand in place of the keepers, and record the ``SimRun`` columns
    it can read (the engine of sim/engine.py does this in full, with the keepers)."""
    from keepers.exchange import instructions as ix
    from keepers.exchange.margin import MarketState, Position, compute_margin
    from keepers.exchange.pdas import insurance_vault_pda
    from programs_client.perp.accounts import Market, User
    from programs_client.perp.constants import BASE_PRECISION, CUMULATIVE_FUNDING_PRECISION, PRICE_PRECISION, \
        QUOTE_PRECISION
    from sim.scenario import ScenarioSettings, build_ledger_world

    settings = ScenarioSettings(users=6, crash_at=slots // 2, crash_drop=0.2, seed=3)
    world = build_ledger_world(settings, perp_program)
    ledger, dep = world.ledger, world.dep
    maker_account = dep.user_accounts["maker-0"]
    series: dict[str, list[float]] = {}

    def put(column: str, value: float) -> None:
        series.setdefault(column, []).append(float(value))

    cranker = dep.wallets["admin"]
    for step in range(slots):
        slot = ledger.advance_slot()
        world.scenario.step(slot)
        for info in dep.markets:
            ledger.send([info.oracles.update_prices_ix(info.index, dep.program_id),
                         ix.consume_events(info.index, [maker_account], 16, dep.program_id)], [cranker], cranker)
            ledger.send([ix.update_funding(info.index, dep.program_id)], [cranker], cranker)  # refused until due
        if step % every:
            continue
        put("slot", slot)
        put("time_s", world.svm.clock().unix_timestamp)
        markets = {m.index: Market.decode(bytes(ledger.get_account(m.address).data)) for m in dep.markets}
        for info in dep.markets:
            mk = markets[info.index]
            index = mk.index_price / PRICE_PRECISION
            put(f"oracle.{info.name}", world.scenario.prices[info.index])
            put(f"index.{info.name}", index)
            put(f"mark.{info.name}", mk.mark_price / PRICE_PRECISION)
            put(f"funding_rate.{info.name}", mk.last_funding_rate / CUMULATIVE_FUNDING_PRECISION / index)
            put(f"open_interest.{info.name}", max(mk.open_interest_long, mk.open_interest_short) * mk.mark_price
                / BASE_PRECISION / QUOTE_PRECISION)
        put("insurance_fund", world.svm.token_balance(insurance_vault_pda(dep.program_id)) / QUOTE_PRECISION)
        for column in ("bad_debt", "socialized_loss", "liquidations", "liquidatable_users"):
            put(column, 0.0)  # no liquidator runs here
        maker = User.decode(bytes(ledger.get_account(maker_account).data))
        positions = [Position.from_account(p) for p in maker.positions]
        states = {i: MarketState.from_account(mk) for i, mk in markets.items()}
        put("strategy.maker.equity", compute_margin(maker.collateral, positions, states).equity / QUOTE_PRECISION)
        for info in dep.markets:
            base = sum(p.base_amount for p in positions if p.market_index == info.index
                       and (p.base_amount or p.open_orders))
            put(f"strategy.maker.inventory.{info.name}", base / BASE_PRECISION)
    scenario = {"scenario": {"name": "crash-no-keepers", "seed": settings.seed, "slots": slots},
                "markets": {m.name: {"initial_price": m.initial_price,
                                     "price": {"kind": "crash", "at_slot": settings.crash_at,
                                               "drop": settings.crash_drop}} for m in dep.markets}}
    return SimRun(scenario, settings.seed, series)


def test_report_of_a_run_on_the_real_program(tmp_path: Path, perp_program: bytes) -> None:
    run = _record_real_run(perp_program, slots=100, every=5)
    assert run.rows == 20 and run.markets() == ["SOL-PERP", "BTC-PERP"] and run.strategies() == ["maker"]
    # The oracle fell by about the scenario's 20% crash at step 50, and the cranked index followed it.
    for column in ("oracle.SOL-PERP", "index.SOL-PERP"):
        prices = run.series[column]
        assert min(prices[10:]) < 0.9 * max(prices[:10]), column
    # The takers' fills reached the maker: it holds inventory and its equity moved.
    assert any(run.series["strategy.maker.inventory.SOL-PERP"])
    assert len(set(run.series["strategy.maker.equity"])) > 1
    page = write_report(run, tmp_path / "real.html")
    summary = io.StringIO()
    print_summary(run, Console(file=summary, width=100, color_system=None))
    assert "maker" in summary.getvalue()
    written = re.findall(r'<div id="(chart-\d+)" class="plotly-graph-div"', page.read_text())
    assert len(written) == 8  # 2 prices, funding, OI, liquidations, bad debt, insurance fund, maker
    dom = _dump_dom(page, tmp_path / "profile")
    assert '<pre class="pk-js-error">' not in dom
    charts = _charts(dom)
    assert sorted(charts) == sorted(written)
    assert all("js-plotly-plot" in classes.split() and svgs >= 1 for classes, svgs in charts.values())
