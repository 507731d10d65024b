"""crawler.extract.language: a table of short news texts, the texts that get no answer,
then properties for any text.

The texts come from the set written to choose the library (15 per language there, a few
here). Azerbaijani and Turkish rows, and Russian and Ukrainian ones, say the same thing
in both languages: those are the pairs detectors confuse.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract.language import detect_language

DETECTED: list[tuple[str, str]] = [
    ("az", "Bakıda sabah havanın temperaturu 25 dərəcəyə qədər yüksələcək."),
    ("tr", "İstanbul'da yarın hava sıcaklığının 25 dereceye kadar yükselmesi bekleniyor."),
    ("az", "Səhiyyə Nazirliyi qripə qarşı peyvənd kampaniyasına başladığını elan edib."),
    ("tr", "Sağlık Bakanlığı grip aşısı kampanyasının başladığını duyurdu."),
    ("az", "Polis oğurluq hadisəsi ilə bağlı üç şəxsi saxlayıb."),
    ("tr", "Polis hırsızlık olayıyla ilgili üç şüpheliyi gözaltına aldı."),
    ("az", "Yol qəzasında iki nəfər ölüb"),
    ("tr", "Trafik kazasında iki kişi öldü"),
    ("ru", "Врачи призывают граждан сделать прививку от гриппа до начала зимы."),
    ("uk", "Лікарі закликають громадян зробити щеплення від грипу до початку зими."),
    ("ru", "Полиция задержала трёх подозреваемых в краже."),
    ("uk", "Поліція затримала трьох підозрюваних у крадіжці."),
    ("ru", "В Москве пойдёт снег"),
    ("uk", "Зеленський підписав указ"),
    ("ka", "თბილისში ხვალ ჰაერის ტემპერატურა 25 გრადუსამდე აიწევს."),
    ("en", "Two people were injured in a fire at an apartment block in Manchester."),
    ("de", "Der Bundestag debattiert über die geplante Reform der Einkommensteuer."),
    ("fr", "L'Assemblée nationale examine la réforme de l'impôt sur le revenu."),
    ("es", "En Madrid se esperan mañana hasta 25 grados y algunas lluvias por la tarde."),
    ("ar", "أبقى البنك المركزي على أسعار الفائدة دون تغيير."),
    # Sure only once the model's Egyptian Arabic (arz) is counted as Arabic.
    ("ar", "افتتاح مستشفى جديد للأطفال في الرياض بسعة 300 سرير."),
    ("fa", "بانک مرکزی نرخ بهره را بدون تغییر نگه داشت."),
]

UNANSWERED = [
    pytest.param("", id="empty"),
    pytest.param(" \n\t ", id="whitespace"),
    pytest.param("12345 678", id="digits"),
    pytest.param("Bakı, 25 noyabr 2026, 14:15", id="dateline"),
    pytest.param("Foto: AzərTac", id="credit"),
    pytest.param("https://azertag.az/xeber/12345", id="url"),
    # Long enough, but the model is unsure: names, and headlines of three words.
    pytest.param("Ilham Aliyev, Recep Tayyip Erdogan", id="names"),
    pytest.param("Polis oğrunu tutdu", id="az-or-tr"),
    pytest.param("Путин подписал указ", id="ru-or-uk"),
]


@pytest.mark.parametrize(
    ("language", "text"), DETECTED, ids=[f"{code}-{row}" for row, (code, _) in enumerate(DETECTED)]
)
def test_the_language_of_a_short_news_text_is_detected(language: str, text: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize("text", UNANSWERED)
def test_too_short_or_uncertain_text_gets_no_language(text: str) -> None:
    assert detect_language(text) is None


def test_a_title_and_the_start_of_its_body_are_read_together() -> None:
    """As the extraction passes them, with a Turkish and an English phrase quoted inside."""
    title = "Bakı Metropoliteni bazar günü bəzi stansiyaları bağlayacaq"
    body = (
        "Bakı Metropoliteni bazar günü bəzi stansiyaların müvəqqəti bağlanacağı barədə "
        'məlumat yayıb. Türk şirkəti "Yapı Merkezi" ilə birgə aparılan təmir işləri üç gün '
        'davam edəcək. Layihə "Baku Metro Modernisation Programme" çərçivəsində həyata keçirilir.'
    )
    assert detect_language(f"{title}\n{body}") == "az"


@settings(deadline=None)
@given(st.text(max_size=300))
def test_any_text_gets_an_iso_639_1_code_or_none(text: str) -> None:
    code = detect_language(text)
    assert code is None or (len(code) == 2 and code.isascii() and code.islower())


@settings(deadline=None)
@given(st.text(st.characters(categories=["Nd", "P", "S", "Z", "Cc"]), max_size=300))
def test_text_without_letters_gets_no_language(text: str) -> None:
    assert detect_language(text) is None
