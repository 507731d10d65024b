"""The crawl's garbage-collector settings hold from the spider's opening to its close."""

from __future__ import annotations

import gc

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.collector import CrawlCollector


def collector(settings: dict[str, object]) -> CrawlCollector:
    crawler = get_crawler(settings_dict=settings)
    crawler.stats = MemoryStatsCollector(crawler)
    return CrawlCollector.from_crawler(crawler)


def opened_and_closed(settings: dict[str, object]) -> tuple[int, tuple[int, ...], object]:
    """Freeze count and thresholds while the spider is open, and its stat."""
    extension = collector(settings)
    extension.spider_opened()
    stat = extension.crawler.stats.get_value("gc/frozen_objects")
    during = gc.get_freeze_count(), gc.get_threshold(), stat
    extension.spider_closed()
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


def test_overlapping_crawls_share_the_process_collector() -> None:
    """Opened A, B and closed A, B: the settings hold until B, the last, closes."""
    before = gc.get_threshold()
    settings = {"GC_FREEZE_STARTUP": True, "GC_YOUNG_THRESHOLD": 5000}
    first, second = collector(settings), collector(settings)
    first.spider_opened()
    frozen = gc.get_freeze_count()
    second.spider_opened()
    first.spider_closed()
    first.spider_closed()  # a second close signal changes nothing
    assert gc.get_freeze_count() == frozen > 0 and gc.get_threshold() == (5000, *before[1:])
    second.spider_closed()
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == before


def test_objects_the_host_froze_stay_frozen() -> None:
    """Even through a close signal that no open preceded."""
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        opened_and_closed({"GC_FREEZE_STARTUP": True, "GC_YOUNG_THRESHOLD": 0})
        collector({"GC_FREEZE_STARTUP": True, "GC_YOUNG_THRESHOLD": 0}).spider_closed()
        assert gc.get_freeze_count() == frozen > 0
    finally:
        gc.unfreeze()
