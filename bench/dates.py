"""Time crawler.dates.parse_date against dateparser.parse on the strings a crawl meets.

    python bench/dates.py [--strings N] [--seed S] [--reference ISO] [--repeat R]

The strings are generated, deterministically for a seed and a reference time, the way
news sites print them: ten sites in six languages and their zones, each printing
its articles' dates in its own style ("5 saat əvvəl", "Вчера, 14:15", "13 september —
14:15", "Sep 13, 2018 2:15 PM"), its metadata and feeds in machine formats, and the odd
non-date that a date selector picks up ("5 min", "2 of 5"). Listing pages repeat the
strings of recent articles, so a few articles account for most strings, as in a crawl.

Each generated string comes with the instant it means (or none, for non-dates and
future dates, which the archive refuses), so the disagreements are reported with who
is right. Every method runs ``--repeat`` times on the same strings and the median time
counts; parse_date's caches are cleared before each run, so each run is a cold crawl.
Plain ``dateparser.parse`` counts relative dates from its own clock, which moves during
its run: instants within five minutes of each other count as the same.
"""

from __future__ import annotations

import argparse
import email.utils
import itertools
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import dateparser

from crawler import dates

SAME_WITHIN = timedelta(minutes=5)
DAY = timedelta(days=1)

EN = "January February March April May June July August September October November December"
EN_MONTHS = EN.split()
EN_SHORT = [month[:3] for month in EN_MONTHS]
RU = "января февраля марта апреля мая июня июля августа сентября октября ноября декабря"
UK = "січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня"
AZ = "yanvar fevral mart aprel may iyun iyul avqust sentyabr oktyabr noyabr dekabr"
TR = "Ocak Şubat Mart Nisan Mayıs Haziran Temmuz Ağustos Eylül Ekim Kasım Aralık"
KA = (
    "იანვარი თებერვალი მარტი აპრილი მაისი ივნისი ივლისი აგვისტო სექტემბერი ოქტომბერი "
    "ნოემბერი დეკემბერი"
)
KA_GENITIVE = (
    "იანვრის თებერვლის მარტის აპრილის მაისის ივნისის ივლისის აგვისტოს სექტემბრის ოქტომბრის "
    "ნოემბრის დეკემბრის"
)
NON_DATES = ["5 min", "12 comments", "2 of 5", "Share", "Page 3", "10 11 12", "Views: 1532"]


@dataclass(frozen=True)
class Style:
    """How a site prints an article's date, by the article's age.

    Fields in the formats: ``n`` (the count in "n hours ago"), ``d``, ``month``, ``y``,
    ``hm`` (14:15), ``h12``, ``mm`` and ``ampm`` (2:15 PM).
    """

    months: Sequence[str]
    minutes_ago: str
    hours_ago: str
    today: str
    yesterday: str
    this_year: str
    older: str


@dataclass(frozen=True)
class Site:
    name: str
    languages: tuple[str, ...]
    timezone: str
    style: Style
    machine: tuple[str, ...]  # the machine formats of its metadata and feeds

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Sample:
    text: str
    site: Site
    truth: datetime | None  # what the string means; None for a non-date or a future date
    kind: str  # "relative", "year-less", "dated", "machine", "non-date" or "future"


SITES = [
    Site(
        "seed",
        ("az", "en"),
        "Asia/Baku",
        Style(
            [month.lower() for month in EN_MONTHS],
            "{n} dəqiqə əvvəl",
            "{n} saat əvvəl",
            "Bu gün, {hm}",
            "Dünən, {hm}",
            "{d} {month} — {hm}",
            "{d} {month} {y} — {hm}",
        ),
        ("iso_offset",),
    ),
    Site(
        "az-latin",
        ("az",),
        "Asia/Baku",
        Style(
            [month.capitalize() for month in AZ.split()],
            "{n} deqiqe evvel",
            "{n} saat evvel",
            "Bu gun {hm}",
            "Dunen {hm}",
            "{d} {month} | {hm}",
            "Yenilənib: {d} {month} {y}, {hm}",
        ),
        ("dmy", "timestamp"),
    ),
    Site(
        "ru-daily",
        ("ru",),
        "Europe/Moscow",
        Style(
            RU.split(),
            "{n} минут назад",
            "{n} часа назад",
            "Сегодня в {hm}",
            "Вчера, {hm}",
            "{d} {month} в {hm}",
            "Опубликовано: {d} {month} {y}, {hm}",
        ),
        ("iso_offset", "rfc_2822"),
    ),
    Site(
        "uk-pravda",
        ("uk",),
        "Europe/Kyiv",
        Style(
            UK.split(),
            "{n} хвилин тому",
            "{n} години тому",
            "Сьогодні о {hm}",
            "Вчора о {hm}",
            "{d} {month} о {hm}",
            "{d} {month} {y} о {hm}",
        ),
        ("iso_naive",),
    ),
    Site(
        "tr-haber",
        ("tr",),
        "Europe/Istanbul",
        Style(
            TR.split(),
            "{n} dakika önce",
            "{n} saat önce",
            "Bugün {hm}",
            "Dün {hm}",
            "{d} {month} {hm}",
            "{d} {month} {y} saat {hm}",
        ),
        ("iso_offset",),
    ),
    Site(
        "ka-news",
        ("ka",),
        "Asia/Tbilisi",
        Style(
            KA_GENITIVE.split(),
            "{n} წუთის წინ",
            "{n} საათის წინ",
            "დღეს {hm}",
            "გუშინ {hm}",
            "{d} {month} {hm}",
            "{d} {month} {y} {hm}",
        ),
        ("iso_utc",),
    ),
    Site(
        "ka-portal",
        ("ka",),
        "Asia/Tbilisi",
        Style(
            KA.split(),
            "{n} წუთის წინ",
            "{n} საათის წინ",
            "დღეს, {hm}",
            "გუშინ, {hm}",
            "{d} {month}, {hm}",
            "{d} {month} {y}, {hm}",
        ),
        ("timestamp",),
    ),
    Site(
        "us-times",
        ("en",),
        "America/New_York",
        Style(
            EN_SHORT,
            "{n} minutes ago",
            "Updated {n} hours ago",
            "Today at {h12}:{mm} {ampm}",
            "Yesterday at {h12}:{mm} {ampm}",
            "{month} {d} {h12}:{mm} {ampm}",
            "{month} {d}, {y} {h12}:{mm} {ampm}",
        ),
        ("iso_offset", "rfc_2822"),
    ),
    Site(
        "uk-paper",
        ("en",),
        "Europe/London",
        Style(
            EN_MONTHS,
            "{n} minutes ago",
            "{n} hours ago",
            "Today • {hm}",
            "Yesterday • {hm}",
            "Published: {d} {month} • {hm}",
            "Published: {d} {month} {y} • {hm}",
        ),
        ("iso_utc",),
    ),
    Site(
        "berlin-post",
        ("en",),
        "Europe/Berlin",
        Style(
            EN_MONTHS,
            "{n} min ago",
            "{n} hours ago",
            "Today, {hm}",
            "Yesterday, {hm}",
            "{d}. {month}, {hm}",
            "{dd}.{mo}.{y} {hm}",
        ),
        ("dmy", "iso_naive"),
    ),
]
SITE_WEIGHTS = [3, 1, 2, 1, 1, 1, 1, 2, 1, 1]
ARTICLES_PER_SITE = 120
# Zipf weights: the article at rank r appears on listings 1/(r+1) as often as the first.
CUMULATIVE = list(itertools.accumulate(1 / (rank + 1) for rank in range(ARTICLES_PER_SITE)))


def generate(count: int, seed: int, reference: datetime) -> list[Sample]:
    """``count`` strings from the sites, recent articles repeated as listing pages do."""
    rng = random.Random(seed)
    pools = {site.name: _articles(rng, site, reference) for site in SITES}
    samples = []
    for _ in range(count):
        site = rng.choices(SITES, SITE_WEIGHTS)[0]
        pool = pools[site.name]
        samples.append(rng.choices(pool, cum_weights=CUMULATIVE)[0])
    return samples


def _articles(rng: random.Random, site: Site, reference: datetime) -> list[Sample]:
    """One site's distinct strings, the most repeated first."""
    pool = []
    for rank in range(ARTICLES_PER_SITE):
        published = reference - _age(rng, rank)
        published -= timedelta(seconds=published.second, microseconds=published.microsecond)
        roll = rng.random()
        if roll < 0.04:
            pool.append(Sample(rng.choice(NON_DATES), site, None, "non-date"))
        elif roll < 0.06:
            ahead = reference + timedelta(hours=rng.randint(2, 72))
            pool.append(Sample(_machine("iso_offset", ahead, site), site, None, "future"))
        elif roll < 0.25:
            kind = rng.choice(site.machine)
            pool.append(Sample(_machine(kind, published, site), site, published, "machine"))
        else:
            pool.append(_visible(published, site, reference))
    return pool


def _age(rng: random.Random, rank: int) -> timedelta:
    """Listings show new articles most; some pages link years back (DST rules of the time)."""
    if rank < 30:
        return timedelta(minutes=rng.randint(1, 60 * 48))
    if rank < 100:
        return timedelta(minutes=rng.randint(60 * 48, 60 * 24 * 359))
    return timedelta(days=rng.randint(366, 365 * 14), minutes=rng.randint(0, 1439))


def _visible(published: datetime, site: Site, reference: datetime) -> Sample:
    """The site's printed date and the instant it means (the minute, or the counted hour)."""
    local, now = published.astimezone(site.zone), reference.astimezone(site.zone)
    age, style = reference - published, site.style
    if age < timedelta(hours=1):
        minutes = int(age.total_seconds() // 60)
        text = style.minutes_ago.format(n=minutes)
        return Sample(text, site, reference - timedelta(minutes=minutes), "relative")
    if age < timedelta(hours=5):
        hours = int(age.total_seconds() // 3600)
        text = style.hours_ago.format(n=hours)
        return Sample(text, site, reference - timedelta(hours=hours), "relative")
    wall = local.replace(tzinfo=None)
    truth = wall.replace(tzinfo=site.zone)  # what the printed wall-clock time means
    if local.date() == now.date():
        return Sample(_format(style.today, wall, style), site, truth, "relative")
    if local.date() == now.date() - DAY:
        return Sample(_format(style.yesterday, wall, style), site, truth, "relative")
    if age < timedelta(days=360):  # the latest-year rule is right for under a year
        return Sample(_format(style.this_year, wall, style), site, truth, "year-less")
    return Sample(_format(style.older, wall, style), site, truth, "dated")


def _format(template: str, wall: datetime, style: Style) -> str:
    return template.format(
        d=wall.day,
        dd=f"{wall.day:02}",
        mo=f"{wall.month:02}",
        month=style.months[wall.month - 1],
        y=wall.year,
        hm=f"{wall:%H:%M}",
        h12=wall.hour % 12 or 12,
        mm=f"{wall:%M}",
        ampm="AM" if wall.hour < 12 else "PM",
    )


def _machine(kind: str, instant: datetime, site: Site) -> str:
    local = instant.astimezone(site.zone)
    formats: dict[str, Callable[[], str]] = {
        "iso_offset": lambda: local.isoformat(timespec="seconds"),
        "iso_utc": lambda: instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "iso_naive": lambda: local.replace(tzinfo=None).isoformat(timespec="seconds"),
        "rfc_2822": lambda: email.utils.format_datetime(local),
        "timestamp": lambda: str(int(instant.timestamp())),
        "dmy": lambda: f"{local:%d.%m.%Y %H:%M}",
    }
    return formats[kind]()


# Timing ----------------------------------------------------------------------------------

Answers = list[datetime | None]


def ours(samples: Sequence[Sample], reference: datetime) -> Answers:
    return [
        dates.parse_date(
            sample.text,
            languages=sample.site.languages,
            timezone=sample.site.timezone,
            reference=reference,
        ).value
        for sample in samples
    ]


def plain(samples: Sequence[Sample]) -> Answers:
    return [_in_site_zone(_dateparser(sample.text), sample.site) for sample in samples]


def configured(samples: Sequence[Sample], reference: datetime) -> Answers:
    settings = {site.name: _settings(site, reference) for site in SITES}
    return [
        _dateparser(sample.text, list(sample.site.languages), settings[sample.site.name])
        for sample in samples
    ]


def _settings(site: Site, reference: datetime) -> dict[str, object]:
    """What a careful caller would give dateparser: the site's zone, the crawl time, the past."""
    return {
        "TIMEZONE": site.timezone,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "RELATIVE_BASE": reference.astimezone(site.zone).replace(tzinfo=None),
        "PREFER_DATES_FROM": "past",
    }


def _dateparser(
    text: str, languages: list[str] | None = None, settings: dict[str, object] | None = None
) -> datetime | None:
    try:
        return dateparser.parse(text, languages=languages, settings=settings)
    except Exception:  # counted as no date, like a None
        return None


def _in_site_zone(value: datetime | None, site: Site) -> datetime | None:
    """Plain dateparser answers in the page's wall-clock time; read it in the site's zone."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=site.zone)


def timed(
    run: Callable[[], Answers], repeat: int, before: Callable[[], None]
) -> tuple[float, Answers]:
    """Median seconds of ``repeat`` runs, and the answers of the first."""
    seconds: list[float] = []
    answers: Answers = []
    for attempt in range(repeat):
        before()
        start = time.perf_counter()
        got = run()
        seconds.append(time.perf_counter() - start)
        if attempt == 0:
            answers = got
    return statistics.median(seconds), answers


# Disagreements ---------------------------------------------------------------------------

WHY = {
    "ours wrong": "parse_date's answer is not what the string means: a bug",
    "year": "dateparser picks the wrong year for a year-less date: the current one, "
    "even when that is after the crawl",
    "swapped": "dateparser reads DD.MM.YYYY as MM.DD.YYYY",
    "machine clock": "dateparser counts a relative date on the machine's clock and "
    "calendar, not the site's",
    "timestamp": "dateparser gives a Unix timestamp as naive time in the machine's zone",
    "site zone": "dateparser ignores the site's zone",
    "non-date": "dateparser reads a counter, a length or a label as a date",
    "future": "ours refuses a date after the crawl time; dateparser returns it",
    "missed": "dateparser finds no date (words or forms it lacks, or the page's typography)",
    "other": "dateparser reads another date",
}


def same(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= SAME_WITHIN


def disagreement(sample: Sample, our: datetime | None, their: datetime | None) -> str | None:
    """Why plain dateparser's answer differs from ours, or ``None`` when it does not."""
    if same(our, their):
        return None
    if not same(our, sample.truth):
        return "ours wrong"
    if their is None:
        return "missed"
    if sample.truth is None:
        return "future" if sample.kind == "future" else "non-date"
    return _wrong_date(sample, sample.truth, their)


def _wrong_date(sample: Sample, truth: datetime, their: datetime) -> str:
    zone = sample.site.zone
    want, got = truth.astimezone(zone), their.astimezone(zone)
    if (want.month, want.day, want.hour, want.minute) == (got.month, got.day, got.hour, got.minute):
        return "year"
    if (want.month, want.day) == (got.day, got.month):
        return "swapped"
    if sample.kind == "relative":
        return "machine clock"
    if sample.text.isdigit():
        return "timestamp"
    off_by = abs(their - truth)
    if off_by < DAY and off_by % timedelta(minutes=15) <= SAME_WITHIN:
        return "site zone"
    return "other"


def report(samples: Sequence[Sample], answers: dict[str, Answers]) -> None:
    classes: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for sample, our, their in zip(samples, answers["ours"], answers["plain"], strict=True):
        why = disagreement(sample, our, their)
        if why is not None:
            classes[why] += 1
            examples.setdefault(why, _example(sample, our, their))
    for name, got in answers.items():
        right = sum(same(value, s.truth) for s, value in zip(samples, got, strict=True))
        print(f"right answers, {name:>10}: {right}/{len(samples)} ({right / len(samples):.1%})")
    total = sum(classes.values())
    print(
        f"disagreements with plain dateparser: {total}/{len(samples)} ({total / len(samples):.1%})"
    )
    for why, count in classes.most_common():
        print(f"  {count:5}  {WHY[why]}\n         e.g. {examples[why]}")


def _example(sample: Sample, our: datetime | None, their: datetime | None) -> str:
    def shown(value: datetime | None) -> str:
        return dates.isoformat(value) if value else "None"

    site = sample.site
    return (
        f"{sample.text!r} ({site.name}, {site.timezone}): ours {shown(our)}, "
        f"dateparser {shown(their)}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--strings", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--reference",
        type=datetime.fromisoformat,
        default=datetime.now(UTC).replace(second=0, microsecond=0),
        help="the crawl time (default: now); plain dateparser counts relative dates from now",
    )
    args = parser.parse_args(argv)
    reference: datetime = args.reference
    samples = generate(args.strings, args.seed, reference)
    print(
        f"{len(samples)} strings ({len({(s.text, s.site.name) for s in samples})} distinct) "
        f"from {len(SITES)} sites, reference {dates.isoformat(reference)}, "
        f"median of {args.repeat} runs"
    )
    _warm_up(samples)
    runs = {
        "ours": (lambda: ours(samples, reference), dates.clear_caches),
        "plain": (lambda: plain(samples), lambda: None),
        "configured": (lambda: configured(samples, reference), lambda: None),
    }
    seconds, answers = {}, {}
    for name, (run, before) in runs.items():
        seconds[name], answers[name] = timed(run, args.repeat, before)
    rate = {name: len(samples) / spent for name, spent in seconds.items()}
    print(f"crawler.dates.parse_date:                  {rate['ours']:9.0f} strings/s")
    print(f"dateparser.parse(s):                       {rate['plain']:9.0f} strings/s")
    print(f"dateparser.parse(s, languages, settings):  {rate['configured']:9.0f} strings/s")
    ratio = rate["ours"] / rate["plain"]
    print(f"ratio to plain: {ratio:.2f}x, to configured: {rate['ours'] / rate['configured']:.2f}x")
    report(samples, answers)
    print(f"speedup={ratio:.2f}x")


def _warm_up(samples: Sequence[Sample]) -> None:
    """Load dateparser's language data once, so that no method pays for it in its time."""
    for site in SITES:
        text = next((s.text for s in samples if s.site is site), "1 January 2020")
        dateparser.parse(text)
        dateparser.parse(text, languages=list(site.languages))


if __name__ == "__main__":
    main()
