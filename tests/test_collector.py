"""The crawl's garbage-collector settings hold from the spider's opening to its close."""

from __future__ import annotations

import gc

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.collector import CrawlCollector


def opened_and_closed(settings: dict[str, object]) -> tuple[int, tuple[int, ...], object]:
    """Freeze count and thresholds while the spider is open, and its stat."""
    crawler = get_crawler(settings_dict=settings)
    crawler.stats = MemoryStatsCollector(crawler)
    collector = CrawlCollector.from_crawler(crawler)
    collector.spider_opened()
    during = gc.get_freeze_count(), gc.get_threshold(), crawler.stats.get_value("gc/frozen_objects")
    collector.spider_closed()
    return during


def test_start_up_objects_frozen_and_young_threshold_raised_until_close() -> None:
    before = gc.get_threshold()
    frozen, thresholds, stat = opened_and_closed(
        {"GC_FREEZE_STARTUP": True, "GC_YOUNG_THRESHOLD": 5000}
    )
    assert frozen > 10_000 and stat == frozen
    assert thresholds == (5000, *before[1:])
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == before


def test_either_setting_alone() -> None:
    before = gc.get_threshold()
    frozen, thresholds, _ = opened_and_closed(
        {"GC_FREEZE_STARTUP": False, "GC_YOUNG_THRESHOLD": 900}
    )
    assert frozen == 0 and thresholds == (900, *before[1:])
    frozen, thresholds, _ = opened_and_closed({"GC_FREEZE_STARTUP": True, "GC_YOUNG_THRESHOLD": 0})
    assert frozen > 0 and thresholds == before


def test_off() -> None:
    crawler = get_crawler(settings_dict={"GC_FREEZE_STARTUP": False, "GC_YOUNG_THRESHOLD": 0})
    with pytest.raises(NotConfigured):
        CrawlCollector.from_crawler(crawler)
