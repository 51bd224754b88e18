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
