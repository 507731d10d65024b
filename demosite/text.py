"""Word lists and templates for the demo site's generated articles.

Everything here is invented: the people and companies are fictional and the figures are
random, so that no generated page can be mistaken for a real report. The only real
article on the site is the seed (`hasanov.txt`). Some entries carry `&`, typographic
quotes and non-ASCII signs on purpose, so that crawling the site exercises entity and
Unicode handling.
"""

from __future__ import annotations

import itertools
from random import Random

AUTHORS = (
    "Aysel Mammadova",
    "Rashad Karimov",
    "Nigar Alizade",
    "Elvin Huseynov",
    "Sabina Gasimova",
    "Orkhan Jafarov",
    "Lala Ismayilova",
    "Tural Babayev",
)

TAGS = (
    "Parliament",
    "Diplomacy",
    "Foreign policy",
    "Energy",
    "Oil & Gas",
    "Trade",
    "Banking",
    "Agriculture",
    "Transport",
    "Tourism",
    "Education",
    "Health",
    "Culture",
    "Environment",
    "Infrastructure",
    "Digital economy",
    "Caspian Sea",
    "Baku",
    "Regions",
)

_TITLES = {
    "politics": (
        "{official} meets {country} delegation in {city}",
        "{official} discusses {topic} with {country} counterpart",
        "Milli Majlis amends {law} in {reading} reading",
        "Azerbaijan and {country} sign {count} documents on {topic}",
        "{official} receives newly appointed ambassador of {country}",
        "Azerbaijan and {country} hold political consultations in {city}",
        "{official} to visit {country} next week",
    ),
    "economy": (
        "{company} {metric} up {percent}% in {period}",
        "Azerbaijan’s {sector} exports up {percent}% in {period}",
        "{company} to invest {amount} million manats in {city} project",
        "Non-oil sector grows by {percent}% in {period}",
        "State budget revenues reach {amount} million manats in {period}",
        "Caspian Oil & Gas exhibition gathers {many} companies in Baku",
        "Trade with {country} rises {percent}% in {period}",
    ),
    "society": (
        "New {facility} opens in {city} with {many} places",
        "{city} residents to get {service} by {month}",
        "{count} students from {city} win medals at {event}",
        "New {scheme} for {group} launched in {city}",
        "{many} volunteers plant trees in {city} district",
        "Heavy rain and strong wind expected in {city} on {weekday}",
    ),
    "world": (
        "{org} meeting in {world_city} focuses on {topic}",
        "{country} announces new {policy} amid {trend}",
        "Elections in {country}: turnout reaches {turnout}%",
        "{country}’s foreign minister visits {world_city} for talks on {topic}",
        "Oil prices {move} as traders watch {trend}",
        "{country} and Azerbaijan discuss {topic} in {world_city}",
    ),
}

_SHARED_SENTENCES = (
    "The information was reported by the press service of the {institution}.",
    "Further details are expected to be announced in the coming days.",
    "The issue was also discussed at a meeting in {city} on {weekday}.",
    "Representatives of the {institution} attended the event.",
    "Local media reported on the event in detail.",
    "No further comments were given to journalists.",
)

_SECTION_SENTENCES = {
    "politics": (
        "{official} said the talks in {city} had been “constructive and forward-looking.”",
        "The sides discussed {topic} and agreed to set up a joint working group.",
        "According to the ministry’s press service, {count} documents are being prepared.",
        "The draft amendments to {law} were submitted to the Milli Majlis by the government.",
        "{votes} deputies voted in favour of the bill.",
        "{official} stressed that Azerbaijan attaches great importance to ties with {country}.",
        "The next round of consultations is expected to take place in {world_city}.",
        "Observers note that {topic} has become a main item on the bilateral agenda.",
        "{official} is expected to brief the Cabinet of Ministers on the results.",
        "Both sides expressed interest in expanding cooperation in {topic}.",
        "The visit to {country} is the first at this level in {count} years.",
        "A joint declaration on {topic} was adopted at the end of the talks.",
        "Deputies also discussed the state budget for the next year.",
    ),
    "economy": (
        "According to official statistics, {metric} grew by {percent}% year on year.",
        "{company} plans to invest {amount} million manats in new equipment.",
        "Analysts at {company} expect inflation to stay within the target range of 4% ± 2%.",
        "Exports of {sector} products to {country} reached ${amount} million in {period}.",
        "The project will create about {many} new jobs in the {city} region.",
        "Trade turnover with {country} increased by {percent}% in {period}.",
        "The Caspian Oil & Gas exhibition remains the region’s main energy meeting point.",
        "{company} said domestic sales accounted for {percent}% of its {metric}.",
        "The average exchange rate remained at 1.70 manats per US dollar.",
        "Investments in the {city} project are estimated at {amount} million manats.",
        "Producers of {sector} goods in the {city} region increased output by {percent}%.",
        "The Central Bank said demand at its currency auctions stayed stable.",
        "{company} shares rose {percent}% on the Baku Stock Exchange.",
    ),
    "society": (
        "The new {facility} in {city} was built in line with modern standards.",
        "About {many} residents of {city} took part in the event.",
        "The Ministry of {ministry} said applications can be submitted until {month}.",
        "Teachers & parents welcomed the decision, according to local media.",
        "Forecasters expect temperatures of {temperature} °C in {city} on {weekday}.",
        "The programme is open to {group} from all regions of the country.",
        "Officials said work on {service} in {city} would be finished by {month}.",
        "A ceremony marking the opening was held on {weekday}.",
        "Parents can register children for the new {facility} on the e-gov portal.",
        "The Ministry of {ministry} plans similar projects in {count} more districts.",
        "Residents of {city} said {service} had long been awaited.",
        "{many} people attended the concert held in the centre of {city}.",
        "Doctors advise residents to drink more water during the hot weather.",
    ),
    "world": (
        "{country}’s government said the measures would take effect next month.",
        "Leaders at the {org} meeting in {world_city} called for cooperation on {topic}.",
        "Brent crude was trading at ${oil_price} per barrel on {weekday} morning.",
        "Analysts said {trend} would remain the main challenge for {country}.",
        "Turnout in {country} reached {turnout}%, according to preliminary data.",
        "Azerbaijan was represented at the meeting by {official}.",
        "The next {org} summit is scheduled to be held in {world_city}.",
        "Markets in {world_city} reacted calmly to the news.",
        "The {org} secretary general welcomed the agreement.",
        "{country} expects its economy to grow by {growth}% this year.",
        "Talks on {topic} will continue in {world_city} next month.",
        "The decision was taken after {count} hours of negotiations.",
    ),
}

_VOCABULARY: dict[str, tuple[str, ...]] = {
    "official": (
        "Foreign Minister Rauf Karimli",
        "Economy Minister Samir Veliyev",
        "Deputy Premier Kamran Babali",
        "Energy Minister Farid Jafarli",
        "Education Minister Gunel Ismayilzade",
        "Health Minister Aygun Rzayli",
        "Digital Minister Tural Mammadli",
        "Agriculture Minister Vugar Aliyarli",
        "Speaker Nargiz Hasanli",
        "Presidential aide Elnur Gasimli",
    ),
    "institution": (
        "Ministry of Foreign Affairs",
        "Ministry of Economy",
        "Cabinet of Ministers",
        "Central Bank",
        "State Statistical Committee",
        "Milli Majlis",
        "State Customs Committee",
        "Ministry of Ecology and Natural Resources",
    ),
    "company": (
        "Caspian Logistics",
        "Absheron Agro",
        "Kura Energy",
        "Shirvan Steel",
        "Silk Way Freight",
        "Ganja Textile Group",
        "Khazar Telecom",
        "Lankaran Tea Company",
        "Goygol Capital",
        "Nar & Co",
    ),
    "city": (
        "Baku",
        "Ganja",
        "Sumgait",
        "Mingachevir",
        "Lankaran",
        "Shaki",
        "Shamakhi",
        "Guba",
        "Nakhchivan",
        "Gabala",
        "Zagatala",
        "Shirvan",
    ),
    "world_city": (
        "Brussels",
        "Geneva",
        "Vienna",
        "Istanbul",
        "Astana",
        "Tashkent",
        "Doha",
        "Rome",
        "Paris",
        "Berlin",
        "Tokyo",
        "Cairo",
        "Budapest",
        "Warsaw",
        "Bucharest",
        "Tbilisi",
        "Ankara",
        "Seoul",
    ),
    "country": (
        "Türkiye",
        "Georgia",
        "Kazakhstan",
        "Uzbekistan",
        "Turkmenistan",
        "Kyrgyzstan",
        "Italy",
        "Germany",
        "France",
        "Hungary",
        "Poland",
        "Romania",
        "Bulgaria",
        "Serbia",
        "Greece",
        "Spain",
        "Austria",
        "Latvia",
        "Lithuania",
        "Pakistan",
        "Japan",
        "South Korea",
        "China",
        "India",
        "Israel",
        "Egypt",
        "Saudi Arabia",
        "Qatar",
        "Indonesia",
        "Malaysia",
        "Brazil",
        "Mexico",
    ),
    "org": ("OSCE", "UN", "OIC", "BSEC", "ECO", "CICA", "WTO", "Organisation of Turkic States"),
    "topic": (
        "energy security",
        "transport corridors",
        "trade and investment",
        "regional security",
        "green energy",
        "digital transformation",
        "humanitarian cooperation",
        "education exchanges",
        "the Middle Corridor",
        "agricultural cooperation",
        "climate policy",
        "tourism links",
        "healthcare cooperation",
        "water management",
    ),
    "law": (
        "the Tax Code",
        "the Labour Code",
        "the Customs Code",
        "the Land Code",
        "the law on mass media",
        "the law on tourism",
        "the law on public service",
        "the law on education",
    ),
    "reading": ("first", "second", "third"),
    "metric": ("net profit", "revenue", "cargo volume", "passenger traffic", "output", "exports"),
    "sector": ("non-oil", "agricultural", "textile", "chemical", "tea", "aluminium", "cotton"),
    "period": (
        "January–March",
        "January–June",
        "January–September",
        "the first quarter",
        "the first half",
        "the past nine months",
    ),
    "facility": (
        "school",
        "kindergarten",
        "medical centre",
        "sports complex",
        "library",
        "youth centre",
        "music school",
        "polyclinic",
    ),
    "service": (
        "natural gas",
        "drinking water",
        "high-speed internet",
        "new bus routes",
        "a modern hospital",
        "a renovated park",
    ),
    "event": (
        "the international maths olympiad",
        "the national science olympiad",
        "the Caspian robotics contest",
        "the European youth chess championship",
        "the Turkic world informatics olympiad",
    ),
    "ministry": (
        "Education",
        "Health",
        "Labour and Social Protection",
        "Youth and Sports",
        "Culture",
        "Ecology and Natural Resources",
    ),
    "scheme": (
        "grant programme",
        "training courses",
        "vaccination campaign",
        "online registration service",
        "internship scheme",
    ),
    "group": (
        "young families",
        "school leavers",
        "rural teachers",
        "people with disabilities",
        "pensioners",
        "young farmers",
        "university graduates",
    ),
    "policy": (
        "visa rules",
        "energy strategy",
        "budget plan",
        "tax reform",
        "climate targets",
        "digital strategy",
    ),
    "trend": (
        "rising inflation",
        "slowing growth",
        "record tourist arrivals",
        "high energy prices",
        "a labour shortage",
        "strong export demand",
    ),
    "move": ("edge higher", "slip", "climb", "fall sharply", "hold steady"),
    "month": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "count": tuple(str(n) for n in range(3, 16)),
    "many": tuple(str(n) for n in range(120, 900, 10)),
    "votes": tuple(str(n) for n in range(63, 121)),
    "amount": tuple(str(n) for n in range(12, 1000)),
    "percent": tuple(f"{n / 10:.1f}" for n in range(5, 260)),
    "growth": tuple(f"{n / 10:.1f}" for n in range(10, 61)),
    "turnout": tuple(f"{n / 10:.1f}" for n in range(400, 800, 7)),
    "oil_price": tuple(f"{n / 100:.2f}" for n in range(6000, 9000, 13)),
    "temperature": tuple(str(n) for n in range(-5, 39)),
}

_SENTENCES = {slug: own + _SHARED_SENTENCES for slug, own in _SECTION_SENTENCES.items()}


class _Slots(dict[str, str]):
    """Fills a template's {slots} lazily from the vocabulary; a slot used twice keeps its value."""

    def __init__(self, rng: Random) -> None:
        super().__init__()
        self._rng = rng

    def __missing__(self, key: str) -> str:
        value = self[key] = self._rng.choice(_VOCABULARY[key])
        return value


def _fill(rng: Random, templates: tuple[str, ...]) -> str:
    return rng.choice(templates).format_map(_Slots(rng))


def compose_title(rng: Random, section_slug: str) -> str:
    """A headline of 5–12 words; uniqueness is the caller's business (it knows the others)."""
    return _fill(rng, _TITLES[section_slug])


def compose_sentence(rng: Random, section_slug: str) -> str:
    return _fill(rng, _SENTENCES[section_slug])


def compose_paragraphs(rng: Random, section_slug: str) -> tuple[str, ...]:
    """3–8 paragraphs of 2–5 sentences each.

    Templates are dealt like shuffled cards, so an article repeats one only after it has
    used all the others.
    """
    templates = _SENTENCES[section_slug]
    deal = itertools.cycle(rng.sample(templates, len(templates)))
    return tuple(
        " ".join(next(deal).format_map(_Slots(rng)) for _ in range(rng.randint(2, 5)))
        for _ in range(rng.randint(3, 8))
    )


def choose_authors(rng: Random) -> tuple[str, ...]:
    """No byline on about half the articles, like the real site; sometimes two."""
    return tuple(rng.sample(AUTHORS, rng.choices((0, 1, 2), weights=(10, 7, 3))[0]))


def choose_tags(rng: Random) -> tuple[str, ...]:
    return tuple(rng.sample(TAGS, rng.randint(1, 4)))
