"""``benchmarks.resources``: the figures it prints from the samples of the keeper process (the hour-long
run itself is a benchmark, not a test: its figures are in the README)."""

from __future__ import annotations

import pytest

from benchmarks.resources import growth_per_hour, resource_figures


def test_a_steady_leak_and_a_flat_line() -> None:
    # RSS 100 MiB growing 10 KiB a minute (600 KiB = 0.586 MiB an hour); CPU 6 s a minute (10% of a core).
    leak = [(60.0 * m, 102_400 + 10 * m, 20, 6.0 * m) for m in range(61)]
    assert growth_per_hour([(t, rss) for t, rss, _, _ in leak]) == pytest.approx(600.0)
    f = resource_figures(leak, warmup_s=300)
    assert f["cpu_percent_mean"] == 10.0 and f["cpu_percent_min_max"] == [10.0, 10.0] and f["cpu_seconds"] == 360.0
    assert f["rss_mib_start_end_max"] == [100.0, 100.6, 100.6]
    assert f["rss_growth_mib_per_hour"] == f["rss_growth_mib_per_hour_after_warmup"] == round(600 / 1024, 2)
    # A warm-up of 20 MiB in the first 5 minutes, then flat: only the figure after the warm-up is 0.
    warm = [(60.0 * m, 102_400 + min(m, 5) * 4096, 20, 3.0 * m) for m in range(61)]
    f = resource_figures(warm, warmup_s=300)
    assert f["rss_growth_mib_per_hour_after_warmup"] == 0.0 and f["rss_growth_mib_per_hour"] > 5


def test_too_few_samples_are_refused() -> None:
    with pytest.raises(ValueError, match="too few"):
        resource_figures([(0.0, 1, 1, 0.0)], warmup_s=0)
    assert growth_per_hour([(5.0, 1.0)]) is None and growth_per_hour([(5.0, 1.0), (5.0, 2.0)]) is None


def test_the_page_cache_bound_is_taken_off_the_growth_after_the_warm_up() -> None:
    from keepers.execution.journal import PAGE_CACHE_KIB

    cap = PAGE_CACHE_KIB / 1024
    # 1 MiB over the 50 minutes after the warm-up (1.2 MiB/hour), a journal of 5 MiB: the page cache can
    # hold at most its cap of that growth.
    samples = [(60.0 * m, 102_400 + max(0, m - 10) * 1024 // 50, 20, 1.0 * m) for m in range(61)]
    f = resource_figures(samples, warmup_s=600, journal_size=5 << 20)
    assert f["rss_growth_mib_per_hour_after_warmup"] == pytest.approx(1.2, abs=0.01)
    assert f["page_cache_bound_mib"] == round(cap, 2) and f["journal_mib_end"] == 5.0
    assert f["rss_growth_mib_per_hour_after_warmup_net_of_cache"] == pytest.approx(1.2 - cap / (50 / 60), abs=0.01)
    # A journal smaller than the cap bounds the cache to its own size.
    f = resource_figures(samples, warmup_s=600, journal_size=64 << 10)
    assert f["page_cache_bound_mib"] == round(min(cap, 1 / 16), 2)
    assert f["rss_growth_mib_per_hour_after_warmup_net_of_cache"] == pytest.approx(
        1.2 - min(cap, 1 / 16) / (50 / 60), abs=0.01)
