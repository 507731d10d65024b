"""crawler.dates: a table of strings as news sites print them, then properties for any text.

Expected instants are written with the offset the site's zone has on that date, so that a
reader sees both the printed wall-clock time and the offset the test asserts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.dates import (
    CLOCK_SKEW,
    EARLIEST_YEAR,
    ParsedDate,
    YearSource,
    check_languages,
    check_timezone,
    isoformat,
    parse_date,
)
from crawler.dates_clean import _cleaned, clean

BAKU = "Asia/Baku"  # +04:00 since 2016; +05:00 in the summers before
MOSCOW = "Europe/Moscow"  # +03:00; +04:00 in summers to 2010 and all year 2011-2014
KYIV = "Europe/Kyiv"
ISTANBUL = "Europe/Istanbul"  # +03:00 all year since September 2016
TBILISI = "Asia/Tbilisi"
BERLIN = "Europe/Berlin"
LONDON = "Europe/London"
NEW_YORK = "America/New_York"

ANY: tuple[str, ...] = ()
EN, RU, AZ, TR, UK, KA = ("en",), ("ru",), ("az",), ("tr",), ("uk",), ("ka",)

REF = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # 16:00 Baku/Tbilisi, 15:00 Moscow, 14:00 Kyiv
# 13 September 2026 in Baku, around 14:15 there (10:15 UTC):
BEFORE_ANNIVERSARY = datetime(2026, 9, 13, 6, 0, tzinfo=UTC)  # 10:00, hours too early
WITHIN_SKEW = datetime(2026, 9, 13, 10, 5, tzinfo=UTC)  # 14:05, 14:15 is 10 minutes ahead
BEYOND_SKEW = datetime(2026, 9, 13, 10, 4, tzinfo=UTC)  # 14:04, 14:15 is 11 minutes ahead
NEW_YEAR = datetime(2026, 12, 31, 20, 30, tzinfo=UTC)  # 00:30 on 1 January 2027 in Baku
NEW_YEAR_IN_NEW_YORK = datetime(2027, 1, 1, 3, 0, tzinfo=UTC)  # still 22:00 on 31 December
MARCH_IN_BAKU = datetime(2026, 2, 28, 20, 30, tzinfo=UTC)  # 00:30 on 1 March in Baku
AFTER_LEAP_DAY = datetime(2028, 3, 1, 12, 0, tzinfo=UTC)
BEFORE_LEAP_DAY = datetime(2028, 2, 28, 12, 0, tzinfo=UTC)
ON_LEAP_DAY = datetime(2028, 2, 29, 9, 0, tzinfo=UTC)  # 13:00 in Baku
# Just after a change of offset, where "3 hours ago" on the wall clock is an hour off.
BERLIN_SPRING = datetime(2026, 3, 29, 2, 30, tzinfo=UTC)  # 04:30 CEST, was CET until 01:00 UTC
BERLIN_AUTUMN = datetime(2026, 10, 25, 3, 0, tzinfo=UTC)  # 04:00 CET, was CEST until 01:00 UTC
NEW_YORK_SPRING = datetime(2026, 3, 8, 9, 0, tzinfo=UTC)  # 05:00 EDT, was EST until 07:00 UTC
NEW_YORK_AUTUMN = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)  # 02:00 EST, was EDT until 06:00 UTC
KYIV_AUTUMN = datetime(2026, 10, 25, 2, 0, tzinfo=UTC)  # 04:00 EET, was EEST until 01:00 UTC
BAKU_AUTUMN_2015 = datetime(2015, 10, 25, 2, 0, tzinfo=UTC)  # 06:00 +04, was +05 until 00:00
MOSCOW_AUTUMN_2014 = datetime(2014, 10, 26, 0, 0, tzinfo=UTC)  # 03:00 +03, was +04 until 22:00


Date = tuple[str, tuple[str, ...], str, datetime, str, YearSource]
Refusal = tuple[str | None, tuple[str, ...], str, datetime, str]


def ok(
    raw: str,
    languages: tuple[str, ...],
    timezone: str,
    expected: str,
    year_from: YearSource,
    reference: datetime = REF,
) -> Date:
    """A string that means the instant ``expected``, its year taken from ``year_from``."""
    return (raw, languages, timezone, reference, expected, year_from)


def no(
    raw: str | None,
    languages: tuple[str, ...],
    timezone: str,
    reason: str,
    reference: datetime = REF,
) -> Refusal:
    """A string that is no date an archive should store; ``reason`` starts the reason."""
    return (raw, languages, timezone, reference, reason)


DATES = [
    # The seed site: year-less dates in Baku time, the year inferred from the crawl time.
    ok("13 september — 14:15", ANY, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("13 september — 14:15", ("az", "en"), BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("13 september — 14:15", EN, BAKU, "2025-09-13T14:15+04:00", "latest", BEFORE_ANNIVERSARY),
    ok("13 september — 14:15", EN, BAKU, "2026-09-13T14:15+04:00", "latest", WITHIN_SKEW),
    ok("13 september — 14:15", EN, BAKU, "2025-09-13T14:15+04:00", "latest", BEYOND_SKEW),
    ok("13 September — 14:15", EN, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("13 SEPTEMBER — 14:15", EN, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("13 sep — 14:15", EN, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("13 Sept — 14:15", EN, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("September 13 — 14:15", EN, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("14:15 — 13 september", EN, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("13 september – 14:15", EN, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("13 september | 14:15", EN, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("13 september • 14:15", EN, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("13 september · 14:15", EN, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("13 september, 14:15", EN, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("13 september - 14:15", EN, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("13 september at 14:15", EN, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("13 september, 2:15 pm", EN, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("13\u00a0september\u2009—\u202f14:15", EN, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("  13   september\n—\t14:15 ", EN, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("\u200b13 september — 14:15\ufeff", EN, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("１３ september — １４:１５", EN, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("13 september", EN, BAKU, "2026-09-13T00:00+04:00", "latest"),
    ok("13 sentyabr — 14:15", AZ, BAKU, "2026-09-13T14:15+04:00", "latest"),
    # Labels before the date.
    ok("Published: 13 september — 14:15", EN, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("Published on 13 September 2018 at 14:15", EN, BAKU, "2018-09-13T14:15+04:00", "text"),
    ok("Updated 13 September 2018 14:15", EN, BAKU, "2018-09-13T14:15+04:00", "text"),
    ok("Last updated: 13.09.2018 | 14:15", ANY, BAKU, "2018-09-13T14:15+04:00", "text"),
    ok("Posted on Sep 13, 2018 2:15 PM", EN, NEW_YORK, "2018-09-13T14:15-04:00", "text"),
    ok("Date: 2018-09-13", ANY, "UTC", "2018-09-13T00:00+00:00", "text"),
    ok("Опубликовано: 13 сентября 2018, 14:15", RU, MOSCOW, "2018-09-13T14:15+03:00", "text"),
    ok("Обновлено 13 сентября в 14:15", RU, MOSCOW, "2026-09-13T14:15+03:00", "latest"),
    ok("ОПУБЛИКОВАНО: 13.09.2018 14:15", ANY, MOSCOW, "2018-09-13T14:15+03:00", "text"),
    ok("Опубліковано: 13 вересня 2018 о 14:15", UK, KYIV, "2018-09-13T14:15+03:00", "text"),
    ok("Оновлено 13 вересня о 14:15", UK, KYIV, "2026-09-13T14:15+03:00", "latest"),
    ok("Yenilənib: 13 sentyabr 2018, 14:15", AZ, BAKU, "2018-09-13T14:15+04:00", "text"),
    ok("Yenilənib 13 sentyabr — 14:15", AZ, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("Son yenilənmə: 13.09.2018 14:15", AZ, BAKU, "2018-09-13T14:15+04:00", "text"),
    ok("Son yenilənmə 5 saat əvvəl", AZ, BAKU, "2026-11-25T07:00+00:00", "reference"),
    ok("Dərc olunub 13 sentyabr 2018 14:15", AZ, BAKU, "2018-09-13T14:15+04:00", "text"),
    ok("Yayınlanma: 13 Eylül 2018 14:15", TR, ISTANBUL, "2018-09-13T14:15+03:00", "text"),
    ok(
        "Güncelleme tarihi: 13 Eylül 2018 saat 14:15",
        TR,
        ISTANBUL,
        "2018-09-13T14:15+03:00",
        "text",
    ),
    ok("Güncellendi 5 saat önce", TR, ISTANBUL, "2026-11-25T07:00+00:00", "reference"),
    ok("გამოქვეყნდა 13 სექტემბერი 2018 14:15", KA, TBILISI, "2018-09-13T14:15+04:00", "text"),
    # ISO 8601: an explicit offset wins over the site's zone.
    ok("2018-09-13T14:15:00+03:00", ANY, BAKU, "2018-09-13T14:15+03:00", "text"),
    ok("2018-09-13T14:15:00Z", ANY, BAKU, "2018-09-13T14:15+00:00", "text"),
    ok("2018-09-13T14:15:00", ANY, BAKU, "2018-09-13T14:15+04:00", "text"),
    ok("2018-09-13T14:15:00.123+0300", ANY, BAKU, "2018-09-13T14:15+03:00", "text"),
    ok("2018-09-13T14:15:00.123456789Z", ANY, BAKU, "2018-09-13T14:15+00:00", "text"),
    ok("2018-09-13T14:15:00,5+03:00", ANY, BAKU, "2018-09-13T14:15+03:00", "text"),
    ok("2018-09-13T14:15:00-05:00", ANY, BAKU, "2018-09-13T14:15-05:00", "text"),
    ok("2018-09-13T14:15Z", ANY, BAKU, "2018-09-13T14:15+00:00", "text"),
    ok("2018-09-13T14:15+03", ANY, BAKU, "2018-09-13T14:15+03:00", "text"),
    ok("2018-09-13T141500Z", ANY, BAKU, "2018-09-13T14:15+00:00", "text"),
    ok("2018-09-13 14:15", ANY, "UTC", "2018-09-13T14:15+00:00", "text"),
    ok("2018-09-13 14:15:00+03:00", ANY, "UTC", "2018-09-13T14:15+03:00", "text"),
    ok("2018-09-13", ANY, BAKU, "2018-09-13T00:00+04:00", "text"),
    ok(" 2018-09-13T14:15:00+03:00 ", ANY, BAKU, "2018-09-13T14:15+03:00", "text"),
    ok("Published: 2018-09-13T14:15:00+04:00", ANY, "UTC", "2018-09-13T14:15+04:00", "text"),
    ok("２０１８-０９-１３", ANY, "UTC", "2018-09-13T00:00+00:00", "text"),
    ok("2015-07-01T12:00:00", ANY, BAKU, "2015-07-01T12:00+05:00", "text"),
    ok("2010-07-01T12:00:00", ANY, MOSCOW, "2010-07-01T12:00+04:00", "text"),
    ok("2026-11-25T12:09:00Z", ANY, BAKU, "2026-11-25T12:09+00:00", "text"),
    # DD.MM.YYYY is day first even on an English page.
    ok("13.09.2018 14:15", ANY, BAKU, "2018-09-13T14:15+04:00", "text"),
    ok("05.09.2018 14:15", EN, "UTC", "2018-09-05T14:15+00:00", "text"),
    ok("01.02.2018 10:00", EN, NEW_YORK, "2018-02-01T10:00-05:00", "text"),
    ok("5.9.2018 9:05", ANY, "UTC", "2018-09-05T09:05+00:00", "text"),
    ok("13.09.2018", ANY, MOSCOW, "2018-09-13T00:00+03:00", "text"),
    ok("14:15 13.09.2018", ANY, BAKU, "2018-09-13T14:15+04:00", "text"),
    ok("13.09.2018, 14:15:30", ANY, BAKU, "2018-09-13T14:15:30+04:00", "text"),
    ok("13.09.2018 | 14:15", ANY, BAKU, "2018-09-13T14:15+04:00", "text"),
    ok("13.09.2018 в 14:15", RU, MOSCOW, "2018-09-13T14:15+03:00", "text"),
    ok("13.09.2018 о 14:15", UK, KYIV, "2018-09-13T14:15+03:00", "text"),
    ok("13.09.2018 saat 14:15", TR, ISTANBUL, "2018-09-13T14:15+03:00", "text"),
    # RFC 2822, where -0000 means UTC.
    ok("Thu, 13 Sep 2018 14:15:00 +0300", ANY, BAKU, "2018-09-13T14:15+03:00", "text"),
    ok("Thu 13 Sep 2018 14:15:00 +0300", ANY, BAKU, "2018-09-13T14:15+03:00", "text"),
    ok("Thu, 13 Sep 2018 14:15:00 GMT", ANY, BAKU, "2018-09-13T14:15+00:00", "text"),
    ok("Thu, 13 Sep 2018 14:15:00 UT", ANY, BAKU, "2018-09-13T14:15+00:00", "text"),
    ok("Thu, 13 Sep 2018 14:15:00 EDT", ANY, BAKU, "2018-09-13T14:15-04:00", "text"),
    ok("Thu, 13 Sep 2018 14:15:00 PST", ANY, BAKU, "2018-09-13T14:15-08:00", "text"),
    ok("13 Sep 2018 14:15 -0000", ANY, BAKU, "2018-09-13T14:15+00:00", "text"),
    ok("Wed, 25 Nov 2026 11:55:00 +0000", ANY, BAKU, "2026-11-25T11:55+00:00", "text"),
    # Unix timestamps, only as the whole string; they carry their own zone (UTC).
    ok("1536848100", ANY, BAKU, "2018-09-13T14:15+00:00", "text"),
    ok("1536848100", ANY, NEW_YORK, "2018-09-13T14:15+00:00", "text"),
    ok("1536848100000", ANY, BAKU, "2018-09-13T14:15+00:00", "text"),
    ok("1536848100999", ANY, BAKU, "2018-09-13T14:15+00:00", "text"),
    ok("1795604400", ANY, BAKU, "2026-11-25T11:00+00:00", "text"),
    # English.
    ok("Sep 13, 2018 2:15 PM", EN, NEW_YORK, "2018-09-13T14:15-04:00", "text"),
    ok("Jan 13, 2018 2:15 PM", EN, NEW_YORK, "2018-01-13T14:15-05:00", "text"),
    ok("SEPTEMBER 13, 2018 2:15 PM", EN, NEW_YORK, "2018-09-13T14:15-04:00", "text"),
    ok("September 13, 2018 at 2:15 pm", EN, "UTC", "2018-09-13T14:15+00:00", "text"),
    ok("September 13th, 2018, 14:15", EN, "UTC", "2018-09-13T14:15+00:00", "text"),
    ok("13th September 2018", EN, "UTC", "2018-09-13T00:00+00:00", "text"),
    ok("Sept. 13, 2018", EN, "UTC", "2018-09-13T00:00+00:00", "text"),
    ok("Thursday, 13 September 2018", EN, LONDON, "2018-09-13T00:00+01:00", "text"),
    ok("13 Sep 2018 14:15 MSK", EN, BAKU, "2018-09-13T14:15+03:00", "text"),
    ok("13 Sep 2018 2:15 pm EST", EN, BAKU, "2018-09-13T14:15-05:00", "text"),
    ok("Sep 13 2:15 PM", EN, NEW_YORK, "2026-09-13T14:15-04:00", "latest"),
    ok("2. November, 03:40", EN, BERLIN, "2026-11-02T03:40+01:00", "latest"),
    ok("yesterday 14:15", EN, BAKU, "2026-11-24T14:15+04:00", "reference"),
    ok("Yesterday at 2:15 PM", EN, NEW_YORK, "2026-11-24T14:15-05:00", "reference"),
    ok("Yesterday • 17:39", EN, LONDON, "2026-11-24T17:39+00:00", "reference"),
    ok("Today at 6:30 AM", EN, NEW_YORK, "2026-11-25T06:30-05:00", "reference"),
    ok("today 09:05", EN, LONDON, "2026-11-25T09:05+00:00", "reference"),
    ok("14:15", EN, BAKU, "2026-11-25T14:15+04:00", "reference"),
    ok("18:30", EN, BAKU, "2026-11-24T18:30+04:00", "reference"),
    ok("2 hours ago", EN, BAKU, "2026-11-25T10:00+00:00", "reference"),
    ok("Updated 5 minutes ago", EN, "UTC", "2026-11-25T11:55+00:00", "reference"),
    ok("an hour ago", EN, "UTC", "2026-11-25T11:00+00:00", "reference"),
    ok("a minute ago", EN, "UTC", "2026-11-25T11:59+00:00", "reference"),
    ok("1 hour 30 minutes ago", EN, "UTC", "2026-11-25T10:30+00:00", "reference"),
    ok("2 hrs ago", EN, "UTC", "2026-11-25T10:00+00:00", "reference"),
    ok("1h ago", EN, "UTC", "2026-11-25T11:00+00:00", "reference"),
    ok("5m ago", EN, "UTC", "2026-11-25T11:55+00:00", "reference"),
    ok("2 days ago", EN, "UTC", "2026-11-23T12:00+00:00", "reference"),
    ok("1 week ago", EN, "UTC", "2026-11-18T12:00+00:00", "reference"),
    ok("just now", EN, "UTC", "2026-11-25T12:00+00:00", "reference"),
    # Russian.
    ok("13 сентября 2018, 14:15", RU, MOSCOW, "2018-09-13T14:15+03:00", "text"),
    ok("13 сентября 2018 года в 14:15", RU, MOSCOW, "2018-09-13T14:15+03:00", "text"),
    ok("13 СЕНТЯБРЯ 2018 14:15", RU, MOSCOW, "2018-09-13T14:15+03:00", "text"),
    ok("13 Сентября 2018 14:15", RU, MOSCOW, "2018-09-13T14:15+03:00", "text"),
    ok("13 сент. 2018 г.", RU, MOSCOW, "2018-09-13T00:00+03:00", "text"),
    ok("13 сен 2018", RU, MOSCOW, "2018-09-13T00:00+03:00", "text"),
    ok("1 марта 2018", RU, MOSCOW, "2018-03-01T00:00+03:00", "text"),
    ok("13 сентября в 14:15", RU, MOSCOW, "2026-09-13T14:15+03:00", "latest"),
    ok("13 сентября в 14:15", ANY, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("13 сентября — 14:15", RU, MOSCOW, "2026-09-13T14:15+03:00", "latest"),
    ok("3 часа назад", RU, MOSCOW, "2026-11-25T09:00+00:00", "reference"),
    ok("час назад", RU, MOSCOW, "2026-11-25T11:00+00:00", "reference"),
    ok("минуту назад", RU, MOSCOW, "2026-11-25T11:59+00:00", "reference"),
    ok("5 минут назад", RU, MOSCOW, "2026-11-25T11:55+00:00", "reference"),
    ok("2 дня назад", RU, MOSCOW, "2026-11-23T12:00+00:00", "reference"),
    ok("Вчера, 14:15", RU, MOSCOW, "2026-11-24T14:15+03:00", "reference"),
    ok("вчера в 14:15", RU, MOSCOW, "2026-11-24T14:15+03:00", "reference"),
    ok("ВЧЕРА 14:15", RU, MOSCOW, "2026-11-24T14:15+03:00", "reference"),
    ok("Сегодня в 09:05", RU, MOSCOW, "2026-11-25T09:05+03:00", "reference"),
    ok("Сегодня, 09:05", RU, MOSCOW, "2026-11-25T09:05+03:00", "reference"),
    ok("позавчера 14:15", RU, MOSCOW, "2026-11-23T14:15+03:00", "reference"),
    # Azerbaijani, with its letters and as typed without them.
    ok("13 sentyabr 2018", AZ, BAKU, "2018-09-13T00:00+04:00", "text"),
    ok("13 sentyabr 2018", ANY, BAKU, "2018-09-13T00:00+04:00", "text"),
    ok("13 Sentyabr 2018 14:15", AZ, BAKU, "2018-09-13T14:15+04:00", "text"),
    ok("13 SENTYABR 2018, 14:15", AZ, BAKU, "2018-09-13T14:15+04:00", "text"),
    ok("13 sentyabr 2018-ci il", AZ, BAKU, "2018-09-13T00:00+04:00", "text"),
    ok("13 sentyabr 2018-ci il, 14:15", AZ, BAKU, "2018-09-13T14:15+04:00", "text"),
    ok("5 Avqust 2019 09:30", AZ, BAKU, "2019-08-05T09:30+04:00", "text"),
    ok("29 Fevral 2020 12:00", AZ, BAKU, "2020-02-29T12:00+04:00", "text"),
    ok("5 İyun 2018 10:00", AZ, BAKU, "2018-06-05T10:00+04:00", "text"),
    ok("5 Iyun 2018 10:00", AZ, BAKU, "2018-06-05T10:00+04:00", "text"),
    ok("5 iyun 2018 10:00", AZ, BAKU, "2018-06-05T10:00+04:00", "text"),
    ok("5 İYUN 2018", AZ, BAKU, "2018-06-05T00:00+04:00", "text"),
    ok("5 İyul 2018 10:00", AZ, BAKU, "2018-07-05T10:00+04:00", "text"),
    ok("5 Yanvar 2015 10:00", AZ, BAKU, "2015-01-05T10:00+04:00", "text"),
    ok("5 İyul 2015 10:00", AZ, BAKU, "2015-07-05T10:00+05:00", "text"),
    ok("13 sentyabr saat 14:15", AZ, BAKU, "2026-09-13T14:15+04:00", "latest"),
    ok("13 Noyabr | 20:25", AZ, BAKU, "2026-11-13T20:25+04:00", "latest"),
    ok("5 saat əvvəl", AZ, BAKU, "2026-11-25T07:00+00:00", "reference"),
    ok("5 saat əvvəl", ANY, BAKU, "2026-11-25T07:00+00:00", "reference"),
    ok("5 SAAT ƏVVƏL", AZ, BAKU, "2026-11-25T07:00+00:00", "reference"),
    ok("5 saat evvel", AZ, BAKU, "2026-11-25T07:00+00:00", "reference"),
    ok("5 saat öncə", AZ, BAKU, "2026-11-25T07:00+00:00", "reference"),
    ok("10 dəqiqə əvvəl", AZ, BAKU, "2026-11-25T11:50+00:00", "reference"),
    ok("10 deqiqe evvel", AZ, BAKU, "2026-11-25T11:50+00:00", "reference"),
    ok("10 dəq. əvvəl", AZ, BAKU, "2026-11-25T11:50+00:00", "reference"),
    ok("30 saniyə əvvəl", AZ, BAKU, "2026-11-25T11:59:30+00:00", "reference"),
    ok("2 gün əvvəl", AZ, BAKU, "2026-11-23T12:00+00:00", "reference"),
    ok("2 gun evvel", AZ, BAKU, "2026-11-23T12:00+00:00", "reference"),
    ok("1 həftə əvvəl", AZ, BAKU, "2026-11-18T12:00+00:00", "reference"),
    ok("1 hefte evvel", AZ, BAKU, "2026-11-18T12:00+00:00", "reference"),
    ok("Dünən, 18:30", AZ, BAKU, "2026-11-24T18:30+04:00", "reference"),
    ok("Dunen 18:30", AZ, BAKU, "2026-11-24T18:30+04:00", "reference"),
    ok("dünən saat 18:30", AZ, BAKU, "2026-11-24T18:30+04:00", "reference"),
    ok("Bu gün, 14:15", AZ, BAKU, "2026-11-25T14:15+04:00", "reference"),
    ok("Bu gun 14:15", AZ, BAKU, "2026-11-25T14:15+04:00", "reference"),
    # Turkish.
    ok("13 Eylül 2018 14:15", TR, ISTANBUL, "2018-09-13T14:15+03:00", "text"),
    ok("13 Eylül 2018 saat 14:15", TR, ISTANBUL, "2018-09-13T14:15+03:00", "text"),
    ok("13 EYLÜL 2018 14:15", TR, ISTANBUL, "2018-09-13T14:15+03:00", "text"),
    ok("13 Eylul 2018 14:15", TR, ISTANBUL, "2018-09-13T14:15+03:00", "text"),
    ok("13 Eyl 2018", TR, ISTANBUL, "2018-09-13T00:00+03:00", "text"),
    ok("13 Şubat 2018", TR, ISTANBUL, "2018-02-13T00:00+03:00", "text"),
    ok("13 Ocak 2016 10:00", TR, ISTANBUL, "2016-01-13T10:00+02:00", "text"),
    ok("13 Ağustos 2015 10:00", TR, ISTANBUL, "2015-08-13T10:00+03:00", "text"),
    ok("13 Eylül 14:15", TR, ISTANBUL, "2026-09-13T14:15+03:00", "latest"),
    ok("5 saat önce", TR, ISTANBUL, "2026-11-25T07:00+00:00", "reference"),
    ok("3 dakika önce", TR, ISTANBUL, "2026-11-25T11:57+00:00", "reference"),
    ok("30 saniye önce", TR, ISTANBUL, "2026-11-25T11:59:30+00:00", "reference"),
    ok("1 gün önce", TR, ISTANBUL, "2026-11-24T12:00+00:00", "reference"),
    ok("Dün 18:30", TR, ISTANBUL, "2026-11-24T18:30+03:00", "reference"),
    ok("Dun 18:30", TR, ISTANBUL, "2026-11-24T18:30+03:00", "reference"),
    ok("Bugün 09:05", TR, ISTANBUL, "2026-11-25T09:05+03:00", "reference"),
    # Ukrainian.
    ok("13 вересня 2018 о 14:15", UK, KYIV, "2018-09-13T14:15+03:00", "text"),
    ok("13 вересня 2018 14:15", ANY, KYIV, "2018-09-13T14:15+03:00", "text"),
    ok("13 ВЕРЕСНЯ 2018", UK, KYIV, "2018-09-13T00:00+03:00", "text"),
    ok("13 вер. 2018", UK, KYIV, "2018-09-13T00:00+03:00", "text"),
    ok("13 січня 2018 о 14:15", UK, KYIV, "2018-01-13T14:15+02:00", "text"),
    ok("13 вересня о 14:15", UK, KYIV, "2026-09-13T14:15+03:00", "latest"),
    ok("3 години тому", UK, KYIV, "2026-11-25T09:00+00:00", "reference"),
    ok("годину тому", UK, KYIV, "2026-11-25T11:00+00:00", "reference"),
    ok("5 хвилин тому", UK, KYIV, "2026-11-25T11:55+00:00", "reference"),
    ok("2 дні тому", UK, KYIV, "2026-11-23T12:00+00:00", "reference"),
    ok("Вчора о 14:15", UK, KYIV, "2026-11-24T14:15+02:00", "reference"),
    ok("Сьогодні о 09:05", UK, KYIV, "2026-11-25T09:05+02:00", "reference"),
    ok("Сьогодні 09:05", UK, KYIV, "2026-11-25T09:05+02:00", "reference"),
    # Georgian: the nominative dateparser knows, the genitive and dative it does not.
    ok("13 სექტემბერი 2018 14:15", KA, TBILISI, "2018-09-13T14:15+04:00", "text"),
    ok("13 სექტემბრის 2018", KA, TBILISI, "2018-09-13T00:00+04:00", "text"),
    ok("2018 წლის 13 სექტემბერი", KA, TBILISI, "2018-09-13T00:00+04:00", "text"),
    ok("2018 წლის 13 სექტემბრის", KA, TBILISI, "2018-09-13T00:00+04:00", "text"),
    ok("1 იანვრის 2018", KA, TBILISI, "2018-01-01T00:00+04:00", "text"),
    ok("28 თებერვლის 2018", KA, TBILISI, "2018-02-28T00:00+04:00", "text"),
    ok("15 აგვისტოს 2018", KA, TBILISI, "2018-08-15T00:00+04:00", "text"),
    ok("13 სექ 2018", KA, TBILISI, "2018-09-13T00:00+04:00", "text"),
    ok("13 სექტემბერი 2018 წ. 14:15", KA, TBILISI, "2018-09-13T14:15+04:00", "text"),
    ok("13 სექტემბერს 14:15", KA, TBILISI, "2026-09-13T14:15+04:00", "latest"),
    ok("13 სექტემბრის 14:15", KA, TBILISI, "2026-09-13T14:15+04:00", "latest"),
    ok("24 ნოემბრის 22:33", KA, TBILISI, "2026-11-24T22:33+04:00", "latest"),
    ok("2 საათის წინ", KA, TBILISI, "2026-11-25T10:00+00:00", "reference"),
    ok("5 წუთის წინ", KA, TBILISI, "2026-11-25T11:55+00:00", "reference"),
    ok("1 დღის წინ", KA, TBILISI, "2026-11-24T12:00+00:00", "reference"),
    ok("გუშინ 14:15", KA, TBILISI, "2026-11-24T14:15+04:00", "reference"),
    ok("დღეს 14:15", KA, TBILISI, "2026-11-25T14:15+04:00", "reference"),
    ok("ახლა", KA, TBILISI, "2026-11-25T12:00+00:00", "reference"),
    # Year and month boundaries around the crawl time (00:30 on 1 January 2027 in Baku).
    ok("31 december — 23:50", EN, BAKU, "2026-12-31T23:50+04:00", "latest", NEW_YEAR),
    ok("1 january — 00:20", EN, BAKU, "2027-01-01T00:20+04:00", "latest", NEW_YEAR),
    ok("1 january — 00:40", EN, BAKU, "2027-01-01T00:40+04:00", "latest", NEW_YEAR),
    ok("1 january — 00:41", EN, BAKU, "2026-01-01T00:41+04:00", "latest", NEW_YEAR),
    ok("31 december", EN, BAKU, "2026-12-31T00:00+04:00", "latest", NEW_YEAR),
    ok("1 yanvar", AZ, BAKU, "2027-01-01T00:00+04:00", "latest", NEW_YEAR),
    ok("2 yanvar", AZ, BAKU, "2026-01-02T00:00+04:00", "latest", NEW_YEAR),
    ok("1 january 00:20", EN, "UTC", "2026-01-01T00:20+00:00", "latest", NEW_YEAR),
    ok("31 december 23:50", EN, "UTC", "2025-12-31T23:50+00:00", "latest", NEW_YEAR),
    ok("31 december 20:00", EN, "UTC", "2026-12-31T20:00+00:00", "latest", NEW_YEAR),
    ok("Dünən, 23:50", AZ, BAKU, "2026-12-31T23:50+04:00", "reference", NEW_YEAR),
    ok("Bu gün, 00:10", AZ, BAKU, "2027-01-01T00:10+04:00", "reference", NEW_YEAR),
    ok("Вчера, 23:50", RU, MOSCOW, "2026-12-30T23:50+03:00", "reference", NEW_YEAR),
    ok("Сегодня в 23:20", RU, MOSCOW, "2026-12-31T23:20+03:00", "reference", NEW_YEAR),
    ok("2 hours ago", EN, BAKU, "2026-12-31T18:30+00:00", "reference", NEW_YEAR),
    ok("31 Dec 23:30 -0500", EN, "UTC", "2025-12-31T23:30-05:00", "latest", NEW_YEAR_IN_NEW_YORK),
    ok("Dec 31 9:00 PM", EN, NEW_YORK, "2026-12-31T21:00-05:00", "latest", NEW_YEAR_IN_NEW_YORK),
    ok("Jan 1 9:00 AM", EN, NEW_YORK, "2026-01-01T09:00-05:00", "latest", NEW_YEAR_IN_NEW_YORK),
    ok("28 fevral — 23:59", AZ, BAKU, "2026-02-28T23:59+04:00", "latest", MARCH_IN_BAKU),
    ok("1 mart — 00:15", AZ, BAKU, "2026-03-01T00:15+04:00", "latest", MARCH_IN_BAKU),
    ok("1 mart — 01:00", AZ, BAKU, "2025-03-01T01:00+04:00", "latest", MARCH_IN_BAKU),
    ok("30 noyabr", AZ, BAKU, "2025-11-30T00:00+04:00", "latest", MARCH_IN_BAKU),
    ok("Dünən, 23:00", AZ, BAKU, "2026-02-28T23:00+04:00", "reference", MARCH_IN_BAKU),
    ok("Вчера в 23:00", RU, MOSCOW, "2026-02-27T23:00+03:00", "reference", MARCH_IN_BAKU),
    ok("3 часа назад", RU, MOSCOW, "2026-02-28T17:30+00:00", "reference", MARCH_IN_BAKU),
    # Daylight saving time: the offset of that date, not of the crawl.
    ok("15.07.2010 12:00", ANY, MOSCOW, "2010-07-15T12:00+04:00", "text"),
    ok("15.01.2010 12:00", ANY, MOSCOW, "2010-01-15T12:00+03:00", "text"),
    ok("15.01.2013 12:00", ANY, MOSCOW, "2013-01-15T12:00+04:00", "text"),
    ok("15.07.2013 12:00", ANY, MOSCOW, "2013-07-15T12:00+04:00", "text"),
    ok("15.01.2015 12:00", ANY, MOSCOW, "2015-01-15T12:00+03:00", "text"),
    ok("1 July 2010, 12:00", EN, MOSCOW, "2010-07-01T12:00+04:00", "text"),
    ok("28.03.2010 02:30", ANY, MOSCOW, "2010-03-28T02:30+03:00", "text"),  # skipped hour
    ok("31.10.2010 02:30", ANY, MOSCOW, "2010-10-31T02:30+04:00", "text"),  # the first 02:30
    ok("27.03.2011 12:00", ANY, MOSCOW, "2011-03-27T12:00+04:00", "text"),
    ok("26 октября 2014 в 01:30", RU, MOSCOW, "2014-10-26T01:30+04:00", "text"),
    ok("26 октября 2014 в 02:30", RU, MOSCOW, "2014-10-26T02:30+03:00", "text"),
    ok("3 часа назад", RU, MOSCOW, "2014-10-25T21:00+00:00", "reference", MOSCOW_AUTUMN_2014),
    ok("Вчера в 23:00", RU, MOSCOW, "2014-10-25T23:00+04:00", "reference", MOSCOW_AUTUMN_2014),
    ok("25.03.2018 01:30", ANY, BERLIN, "2018-03-25T01:30+01:00", "text"),
    ok("25.03.2018 02:30", ANY, BERLIN, "2018-03-25T02:30+01:00", "text"),  # skipped hour
    ok("25.03.2018 03:30", ANY, BERLIN, "2018-03-25T03:30+02:00", "text"),
    ok("28.10.2018 01:30", ANY, BERLIN, "2018-10-28T01:30+02:00", "text"),
    ok("28.10.2018 02:30", ANY, BERLIN, "2018-10-28T02:30+02:00", "text"),  # the first 02:30
    ok("28.10.2018 03:30", ANY, BERLIN, "2018-10-28T03:30+01:00", "text"),
    ok("29 march — 02:30", EN, BERLIN, "2026-03-29T02:30+01:00", "latest"),
    ok("25 october — 02:30", EN, BERLIN, "2026-10-25T02:30+02:00", "latest"),
    ok("3 hours ago", EN, BERLIN, "2026-03-28T23:30+00:00", "reference", BERLIN_SPRING),
    ok("today 01:30", EN, BERLIN, "2026-03-29T01:30+01:00", "reference", BERLIN_SPRING),
    ok("today 03:30", EN, BERLIN, "2026-03-29T03:30+02:00", "reference", BERLIN_SPRING),
    ok("yesterday 23:00", EN, BERLIN, "2026-03-28T23:00+01:00", "reference", BERLIN_SPRING),
    ok("3 hours ago", EN, BERLIN, "2026-10-25T00:00+00:00", "reference", BERLIN_AUTUMN),
    ok("90 minutes ago", EN, BERLIN, "2026-10-25T01:30+00:00", "reference", BERLIN_AUTUMN),
    ok("today 02:30", EN, BERLIN, "2026-10-25T02:30+02:00", "reference", BERLIN_AUTUMN),
    ok("Mar 8, 2026 1:30 AM", EN, NEW_YORK, "2026-03-08T01:30-05:00", "text"),
    ok("Mar 8, 2026 2:30 AM", EN, NEW_YORK, "2026-03-08T02:30-05:00", "text"),  # skipped hour
    ok("Mar 8, 2026 3:30 AM", EN, NEW_YORK, "2026-03-08T03:30-04:00", "text"),
    ok("Nov 1, 2026 1:30 AM", EN, NEW_YORK, "2026-11-01T01:30-04:00", "text"),  # the first
    ok("Nov 1, 2026 2:30 AM", EN, NEW_YORK, "2026-11-01T02:30-05:00", "text"),
    ok("4 hours ago", EN, NEW_YORK, "2026-03-08T05:00+00:00", "reference", NEW_YORK_SPRING),
    ok("Today at 1:00 AM", EN, NEW_YORK, "2026-03-08T01:00-05:00", "reference", NEW_YORK_SPRING),
    ok(
        "Yesterday at 11:00 PM",
        EN,
        NEW_YORK,
        "2026-03-07T23:00-05:00",
        "reference",
        NEW_YORK_SPRING,
    ),
    ok("2 hours ago", EN, NEW_YORK, "2026-11-01T05:00+00:00", "reference", NEW_YORK_AUTUMN),
    ok("30 minutes ago", EN, NEW_YORK, "2026-11-01T06:30+00:00", "reference", NEW_YORK_AUTUMN),
    ok("Today at 1:30 AM", EN, NEW_YORK, "2026-11-01T01:30-04:00", "reference", NEW_YORK_AUTUMN),
    ok("13 September 2015 14:15", EN, BAKU, "2015-09-13T14:15+05:00", "text"),
    ok("13 January 2015 14:15", EN, BAKU, "2015-01-13T14:15+04:00", "text"),
    ok("13 sentyabr 2016 14:15", AZ, BAKU, "2016-09-13T14:15+04:00", "text"),
    ok("29.03.2015 04:30", ANY, BAKU, "2015-03-29T04:30+04:00", "text"),  # skipped hour
    ok("25.10.2015 04:30", ANY, BAKU, "2015-10-25T04:30+05:00", "text"),  # the first 04:30
    ok("3 saat əvvəl", AZ, BAKU, "2015-10-24T23:00+00:00", "reference", BAKU_AUTUMN_2015),
    ok("Dünən, 18:30", AZ, BAKU, "2015-10-24T18:30+05:00", "reference", BAKU_AUTUMN_2015),
    ok("Bu gün, 04:30", AZ, BAKU, "2015-10-25T04:30+05:00", "reference", BAKU_AUTUMN_2015),
    ok("29 березня 2026 о 03:30", UK, KYIV, "2026-03-29T03:30+02:00", "text"),  # skipped hour
    ok("29 березня 2026 о 04:30", UK, KYIV, "2026-03-29T04:30+03:00", "text"),
    ok("25 жовтня 2026 о 03:30", UK, KYIV, "2026-10-25T03:30+03:00", "text"),  # the first
    ok("25 жовтня 2026 о 04:30", UK, KYIV, "2026-10-25T04:30+02:00", "text"),
    ok("3 години тому", UK, KYIV, "2026-10-24T23:00+00:00", "reference", KYIV_AUTUMN),
    ok("Вчора о 23:00", UK, KYIV, "2026-10-24T23:00+03:00", "reference", KYIV_AUTUMN),
    ok("Сьогодні о 03:30", UK, KYIV, "2026-10-25T03:30+03:00", "reference", KYIV_AUTUMN),
    # 29 February without a year goes to the latest leap year that fits.
    ok("29 february 14:00", EN, BAKU, "2024-02-29T14:00+04:00", "latest"),
    ok("29 Fevral — 12:00", AZ, BAKU, "2028-02-29T12:00+04:00", "latest", AFTER_LEAP_DAY),
    ok("29 february 14:00", EN, BAKU, "2024-02-29T14:00+04:00", "latest", BEFORE_LEAP_DAY),
    ok("29 february 12:00", EN, BAKU, "2028-02-29T12:00+04:00", "latest", ON_LEAP_DAY),
    ok("29 february 14:00", EN, BAKU, "2024-02-29T14:00+04:00", "latest", ON_LEAP_DAY),
    ok("29 февраля в 10:00", RU, MOSCOW, "2024-02-29T10:00+03:00", "latest"),
    ok("29 თებერვლის", KA, TBILISI, "2024-02-29T00:00+04:00", "latest"),
    ok("29.02.2020 10:00", ANY, "UTC", "2020-02-29T10:00+00:00", "text"),
    ok("2024-02-29", ANY, BAKU, "2024-02-29T00:00+04:00", "text"),
    ok("29 Şubat 2016 10:00", TR, ISTANBUL, "2016-02-29T10:00+02:00", "text"),
    # A year-less date with its own offset: the year is chosen for the printed date.
    ok("13 Sep 14:15 +0300", EN, BAKU, "2026-09-13T14:15+03:00", "latest"),
    ok("13 сентября 14:15 MSK", RU, BAKU, "2026-09-13T14:15+03:00", "latest"),
    ok("29 Feb 02:00 +0500", EN, "UTC", "2024-02-29T02:00+05:00", "latest"),
    ok("1 Mar 01:00 +0300", EN, "UTC", "2026-03-01T01:00+03:00", "latest"),
    ok("28 Feb 23:00 -0500", EN, "UTC", "2026-02-28T23:00-05:00", "latest"),
    ok("1 January 01:00 +0500", EN, "UTC", "2027-01-01T01:00+05:00", "latest", NEW_YEAR),
]

REFUSALS = [
    # Nothing there.
    no(None, ANY, BAKU, "empty"),
    no("", ANY, BAKU, "empty"),
    no(" \u00a0\u2009 ", ANY, BAKU, "empty"),
    no("—", ANY, BAKU, "empty"),
    no("Published:", EN, BAKU, "empty"),
    no("Опубликовано:", RU, MOSCOW, "empty"),
    no("9" * 101, ANY, BAKU, "too long to be a date (101 characters)"),
    # Words and digits that are no date: counters, phone numbers, labels.
    no("Latest news", EN, BAKU, "no date found in 'Latest news'"),
    no("Share", ANY, BAKU, "no date found"),
    no("Page 2", EN, BAKU, "no date found"),
    no("5 comments", EN, BAKU, "no date found"),
    no("2 of 5", EN, BAKU, "no date found in '2 of 5'"),
    no("10 11 12", EN, BAKU, "no date found"),
    no("+994 12 555 55 55", ANY, BAKU, "no date found"),
    no("+03:00", ANY, BAKU, "no date found"),
    no("3.5", ANY, BAKU, "no date found"),
    no("1/2", ANY, BAKU, "no date found"),
    no("13.09.18", RU, MOSCOW, "no date found"),
    no("20180913", EN, BAKU, "no date found"),
    no("153684810", ANY, "UTC", "no date found"),
    no("0536848100", ANY, "UTC", "no date found"),
    no("25:00", EN, BAKU, "no date found"),
    no("Son xəbərlər", AZ, BAKU, "no date found"),
    no("Bütün xəbərlər", AZ, BAKU, "no date found"),
    no("Последние новости", RU, MOSCOW, "no date found"),
    no("Всі новини", UK, KYIV, "no date found"),
    no("Tüm haberler", TR, ISTANBUL, "no date found"),
    no("ყველა სიახლე", KA, TBILISI, "no date found"),
    # Impossible dates.
    no("31 february", EN, BAKU, "no date found"),
    no("29 february 2019", EN, "UTC", "no date found"),
    no("Sep 31, 2018", EN, "UTC", "no date found"),
    no("31 February 2018 10:00", EN, BAKU, "no date found"),
    no("31.02.2018 14:15", ANY, "UTC", "'31.02.2018 14:15' is not a date: day is out of range"),
    no("29.02.2019", ANY, "UTC", "'29.02.2019' is not a date: day is out of range"),
    no("2018-02-30", ANY, "UTC", "'2018-02-30' is not a date"),
    no("2023-02-29", ANY, "UTC", "'2023-02-29' is not a date"),
    no("2018-13-01", ANY, "UTC", "'2018-13-01' is not a date"),
    no("2018-09-13T25:00:00", ANY, "UTC", "'2018-09-13T25:00:00' is not a date"),
    no("31 Feb 2018 14:15 GMT", ANY, "UTC", "'31 Feb 2018 14:15 GMT' is not a date"),
    no("Thu, 13 Sep 2018 25:15:00 +0300", ANY, "UTC", "'Thu 13 Sep 2018 25:15:00 +0300' is not"),
    # Not precise to the day, or a length of time rather than a date.
    no("September 2018", EN, BAKU, "'September 2018' is not precise to the day"),
    no("сентябрь 2018", RU, MOSCOW, "'сентябрь 2018' is not precise to the day"),
    no("2018", EN, BAKU, "'2018' is not precise to the day"),
    no("1409", EN, BAKU, "'1409' is not precise to the day"),
    no("2 months ago", EN, BAKU, "'2 months ago' is not precise to the day"),
    no("5 min", EN, BAKU, "'5 min' is a length of time, not a date"),
    no("3 часа", RU, MOSCOW, "'3 часа' is a length of time, not a date"),
    no("5 dəqiqə", AZ, BAKU, "'5 dəqiqə' is a length of time, not a date"),
    no("5 saat", AZ, BAKU, "'5 saat' is a length of time, not a date"),
    no("10 dakika", TR, ISTANBUL, "'10 dakika' is a length of time, not a date"),
    # After the crawl time (with its skew), or before 1900.
    no("tomorrow", EN, BAKU, "2026-11-26T16:00:00+04:00 is after the crawl time"),
    no("in 2 hours", EN, BAKU, "2026-11-25T18:00:00+04:00 is after the crawl time"),
    no("Завтра в 10:00", RU, MOSCOW, "2026-11-26T10:00:00+03:00 is after the crawl time"),
    no("2031-01-01", ANY, BAKU, "2031-01-01T00:00:00+04:00 is after the crawl time"),
    no("2026-11-25T12:11:00Z", ANY, BAKU, "2026-11-25T12:11:00+00:00 is after the crawl time"),
    no("4102444800", ANY, "UTC", "2100-01-01T00:00:00+00:00 is after the crawl time"),
    no("1899-12-31T12:00:00Z", ANY, "UTC", "1899-12-31T12:00:00+00:00 is before 1900"),
    no("31.12.1899 23:00", ANY, "UTC", "1899-12-31T23:00:00+00:00 is before 1900"),
    no(
        "5 saat əvvəl",
        AZ,
        BAKU,
        "1899-12-31T23:00:00+00:00 is before 1900",
        datetime(1900, 1, 1, 4, tzinfo=UTC),
    ),
]


@pytest.mark.parametrize(
    ("raw", "languages", "timezone", "reference", "expected", "year_from"), DATES
)
def test_reads_the_instant_the_string_means(
    raw: str,
    languages: tuple[str, ...],
    timezone: str,
    reference: datetime,
    expected: str,
    year_from: YearSource,
) -> None:
    parsed = parse_date(raw, languages=languages, timezone=timezone, reference=reference)
    assert parsed.value is not None, parsed.reason
    assert parsed.value == datetime.fromisoformat(expected), isoformat(parsed.value)
    assert (parsed.value.tzinfo, parsed.reason, parsed.year_from) == (UTC, None, year_from)


@pytest.mark.parametrize(("raw", "languages", "timezone", "reference", "reason"), REFUSALS)
def test_refuses_what_is_no_date_with_the_reason(
    raw: str | None, languages: tuple[str, ...], timezone: str, reference: datetime, reason: str
) -> None:
    parsed = parse_date(raw, languages=languages, timezone=timezone, reference=reference)
    assert (parsed.value, parsed.year_from) == (None, None)
    assert parsed.reason is not None and parsed.reason.startswith(reason), parsed.reason


def test_the_table_is_large() -> None:
    assert len(DATES) + len(REFUSALS) >= 300


@pytest.mark.parametrize(
    ("raw", "year_hint", "expected", "year_from"),
    [
        ("13 september — 14:15", 2018, "2018-09-13T14:15+04:00", "hint"),
        ("29 february 14:00", 2020, "2020-02-29T14:00+04:00", "hint"),
        ("13 September 2017 14:15", 2018, "2017-09-13T14:15+04:00", "text"),
        ("2 hours ago", 2018, "2026-11-25T10:00+00:00", "reference"),
        ("yesterday 14:15", 2018, "2026-11-24T14:15+04:00", "reference"),
        # A hint that puts the date after the crawl time is wrong: the latest year instead.
        ("13 september — 14:15", 2027, "2026-09-13T14:15+04:00", "latest"),
        ("31 december — 23:50", 2026, "2025-12-31T23:50+04:00", "latest"),
        ("29 february 14:00", 2028, "2024-02-29T14:00+04:00", "latest"),
    ],
)
def test_year_hint_for_year_less_strings(
    raw: str, year_hint: int, expected: str, year_from: YearSource
) -> None:
    parsed = parse_date(raw, languages=("en",), timezone=BAKU, reference=REF, year_hint=year_hint)
    assert parsed.value is not None, parsed.reason
    assert (parsed.value, parsed.year_from) == (datetime.fromisoformat(expected), year_from)


@pytest.mark.parametrize(
    ("year_hint", "reason"),
    [
        (2019, "'29 february 14:00' is not a date in 2019"),
        (1896, "1896-02-29T14:00:00+03:19:24 is before 1900"),  # Baku's local mean time,
    ],
)
def test_year_hint_is_still_checked(year_hint: int, reason: str) -> None:
    parsed = parse_date(
        "29 february 14:00", languages=("en",), timezone=BAKU, reference=REF, year_hint=year_hint
    )
    assert parsed == ParsedDate(None, reason)


@pytest.mark.parametrize("raw", ["2 hours ago", "Вчера, 14:15", "14:15", "5 saat əvvəl"])
def test_relative_dates_move_with_the_reference(raw: str) -> None:
    """The cache must not hand a relative date read at one crawl time to another."""
    today, tomorrow = (
        parse_date(raw, timezone=BAKU, reference=reference).value
        for reference in (REF, REF + timedelta(days=1))
    )
    assert today is not None
    assert tomorrow == today + timedelta(days=1)


def test_year_is_inferred_after_the_cache() -> None:
    readings = [
        parse_date("13 september — 14:15", timezone=BAKU, reference=reference).value
        for reference in (REF, BEFORE_ANNIVERSARY)
    ]
    assert [value and value.year for value in readings] == [2026, 2025]


@pytest.mark.parametrize("name", ["Asia/Baku", "UTC", "Europe/Kyiv", "America/New_York"])
def test_check_timezone_accepts_iana_names(name: str) -> None:
    check_timezone(name)


@pytest.mark.parametrize("name", ["Asia/baku", "", "Asia", "UTC+4", "../etc/passwd", "Baku"])
def test_check_timezone_rejects_other_names(name: str) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        check_timezone(name)


def test_check_languages_accepts_dateparser_codes() -> None:
    check_languages(["en", "ru", "az", "tr", "uk", "ka"])
    check_languages([])


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        (["xx"], "unknown language code"),
        (["en", "AZ"], "'AZ'"),
        (["en", "en"], "repeated"),
        ("en", "not the string"),
    ],
)
def test_check_languages_rejects_unknown_codes(codes: list[str] | str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_languages(codes)


def test_caller_errors_raise() -> None:
    """Zones and languages come from site definitions, validated before any crawl."""
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        parse_date("13 september 2018", timezone="Mars/Olympus", reference=REF)
    with pytest.raises(ValueError, match="unknown language code"):
        parse_date("13 september 2018", languages=("xx",), reference=REF)
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_date("13 september 2018", reference=datetime(2026, 11, 25, 12, 0))


def test_isoformat_is_utc_to_the_second() -> None:
    value = datetime(2017, 9, 13, 14, 15, 0, 999_999, tzinfo=ZoneInfo(BAKU))
    assert isoformat(value) == "2017-09-13T10:15:00+00:00"
    with pytest.raises(ValueError, match="naive"):
        isoformat(datetime(2017, 9, 13))


# Properties ------------------------------------------------------------------------------

LANGUAGE_SETS = st.sampled_from(
    [(), ("en",), ("ru",), ("az",), ("tr",), ("uk", "ka"), ("en", "az")]
)
TIMEZONES = st.sampled_from(
    [
        *["UTC", BAKU, MOSCOW, BERLIN, NEW_YORK, KYIV, "Asia/Kathmandu"],
        *["Pacific/Kiritimati", "Pacific/Niue", "Australia/Lord_Howe"],
    ]
)
REFERENCES = st.datetimes(
    min_value=datetime(1905, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
DATE_WORDS = st.sampled_from(
    [
        *["0", "1", "7", "12", "13", "29", "30", "31", "2018", "2026", "14:15", "02:30", "23:59"],
        *["-0500", "+03:00", "Z", "T", "—", "–", "|", "•", ",", ".", ":", "-", "/"],
        *["at", "в", "saat", "о", "PM", "AM", "GMT", "MSK", "-ci", "il", "წლის"],
        *["september", "Sep", "February", "Fevral", "sentyabr", "сентября", "вересня", "Eylül"],
        *["სექტემბერი", "სექტემბრის", "ago", "hours", "min", "yesterday", "today", "назад"],
        *["Вчера", "əvvəl", "evvel", "dəq", "Dünən", "Dunen", "önce", "тому", "წინ"],
        *["Published:", "Updated", "Опубликовано", "Yenilənib", "Son yenilənmə"],
        *["2018-09-13", "2018-09-13T14:15:00", "13.09.2018", "1536848100"],
    ]
)
DATE_LIKE_TEXT = st.lists(DATE_WORDS, max_size=7).map(" ".join)
MONTHS = [
    *["January", "February", "March", "April", "May", "June"],
    *["July", "August", "September", "October", "November", "December"],
]


def assert_sound(parsed: ParsedDate, reference: datetime) -> None:
    """What every caller may rely on, whatever the input."""
    if parsed.value is None:
        assert parsed.reason
        assert parsed.year_from is None
        return
    assert parsed.reason is None
    assert parsed.year_from in ("text", "reference", "hint", "latest")
    assert parsed.value.tzinfo is UTC
    assert datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC) <= parsed.value <= reference + CLOCK_SKEW
    assert datetime.fromisoformat(isoformat(parsed.value)) == parsed.value


@settings(deadline=None)
@given(
    raw=st.one_of(st.none(), st.text(max_size=120), DATE_LIKE_TEXT),
    languages=LANGUAGE_SETS,
    timezone=TIMEZONES,
    reference=REFERENCES,
    year_hint=st.one_of(st.none(), st.integers(1800, 2200)),
)
def test_any_text_gives_a_sound_result(
    raw: str | None,
    languages: tuple[str, ...],
    timezone: str,
    reference: datetime,
    year_hint: int | None,
) -> None:
    parsed = parse_date(
        raw, languages=languages, timezone=timezone, reference=reference, year_hint=year_hint
    )
    assert_sound(parsed, reference)


@settings(deadline=None)
@given(
    day=st.integers(1, 28),
    month=st.integers(1, 12),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    timezone=TIMEZONES,
    reference=REFERENCES,
)
def test_year_less_dates_take_the_latest_year_before_the_crawl(
    day: int, month: int, hour: int, minute: int, timezone: str, reference: datetime
) -> None:
    raw = f"{day} {MONTHS[month - 1]} — {hour:02}:{minute:02}"
    parsed = parse_date(raw, languages=("en",), timezone=timezone, reference=reference)
    assert_sound(parsed, reference)
    assert parsed.value is not None and parsed.year_from == "latest", parsed.reason
    zone = ZoneInfo(timezone)

    def in_year(year: int) -> datetime:
        return datetime(year, month, day, hour, minute, tzinfo=zone)

    year = next(year for year in range(1900, 2102) if in_year(year) == parsed.value)
    assert in_year(year + 1) > reference + CLOCK_SKEW


@settings(deadline=None)
@given(
    amount=st.integers(0, 72),
    unit=st.sampled_from(["minutes", "hours"]),
    timezone=TIMEZONES,
    reference=REFERENCES,
)
def test_time_ago_is_counted_back_from_the_crawl_instant(
    amount: int, unit: str, timezone: str, reference: datetime
) -> None:
    """Across any change of offset in the site's zone, which the wall clock would get wrong."""
    parsed = parse_date(
        f"{amount} {unit} ago", languages=("en",), timezone=timezone, reference=reference
    )
    expected = reference.replace(microsecond=0) - timedelta(**{unit: amount})
    assert (parsed.value, parsed.year_from) == (expected, "reference")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789:+.TZ-", max_size=30).map(lambda text: "2" + text))
def test_machine_dates_are_already_clean(raw: str) -> None:
    """The shortcut for machine-written strings returns what every cleaning step returns."""
    assert clean(raw) == _cleaned(raw) == raw
