"""Countries are named as UN documents name them, in the six official languages, and the list
holds every Member and observer State; codes that registrations stored before stay readable."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest
from babel import Locale

from portal.registration.countries import (
    LANGUAGES,
    _sort_key,
    country_choices,
    country_groups,
    country_name,
    country_names,
    is_country_code,
)

# The 193 Members of the United Nations, written out here so that the data file is checked
# against a list it did not produce.
MEMBER_STATES = frozenset(
    """
    AD AE AF AG AL AM AO AR AT AU AZ BA BB BD BE BF BG BH BI BJ BN BO BR BS BT BW BY BZ CA CD
    CF CG CH CI CL CM CN CO CR CU CV CY CZ DE DJ DK DM DO DZ EC EE EG ER ES ET FI FJ FM FR GA
    GB GD GE GH GM GN GQ GR GT GW GY HN HR HT HU ID IE IL IN IQ IR IS IT JM JO JP KE KG KH KI
    KM KN KP KR KW KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MG MH MK ML MM MN MR MT MU
    MV MW MX MY MZ NA NE NG NI NL NO NP NR NZ OM PA PE PG PH PK PL PT PW PY QA RO RS RU RW SA
    SB SC SD SE SG SI SK SL SM SN SO SR SS ST SV SY SZ TD TG TH TJ TL TM TN TO TR TT TV TZ UA
    UG US UY UZ VC VE VN VU WS YE ZA ZM ZW
    """.split()
)
OBSERVER_STATES = frozenset({"VA", "PS"})

UN_NAMES = {
    "en": {
        "KR": "Republic of Korea",
        "KP": "Democratic People's Republic of Korea",
        "RU": "Russian Federation",
        "VN": "Viet Nam",
        "TR": "Türkiye",
        "IR": "Iran (Islamic Republic of)",
        "BO": "Bolivia (Plurinational State of)",
        "VE": "Venezuela (Bolivarian Republic of)",
        "TZ": "United Republic of Tanzania",
        "MD": "Republic of Moldova",
        "LA": "Lao People's Democratic Republic",
        "SY": "Syrian Arab Republic",
        "FM": "Micronesia (Federated States of)",
        "CI": "Côte d'Ivoire",
        "CG": "Congo",
        "CD": "Democratic Republic of the Congo",
        "CZ": "Czechia",
        "MK": "North Macedonia",
        "NL": "Netherlands (Kingdom of the)",
        "GB": "United Kingdom of Great Britain and Northern Ireland",
        "US": "United States of America",
        "SZ": "Eswatini",
        "CV": "Cabo Verde",
        "VA": "Holy See",
        "PS": "State of Palestine",
        "HK": "China, Hong Kong Special Administrative Region",
        "MO": "China, Macao Special Administrative Region",
        "FK": "Falkland Islands (Malvinas)",
        "AQ": "Antarctica",
    },
    "fr": {
        "KR": "République de Corée",
        "KP": "République populaire démocratique de Corée",
        "RU": "Fédération de Russie",
        "BY": "Bélarus",
        "CG": "Congo",
        "CD": "République démocratique du Congo",
        "VN": "Viet Nam",
        "TR": "Türkiye",
        "MA": "Maroc",
        "PS": "État de Palestine",
        "HK": "Chine, région administrative spéciale de Hong Kong",
    },
    "es": {
        "KR": "República de Corea",
        "RU": "Federación de Rusia",
        "BY": "Belarús",
        "VN": "Viet Nam",
        "TR": "Türkiye",
        "KP": "República Popular Democrática de Corea",
        "PS": "Estado de Palestina",
        "HK": "China, región administrativa especial de Hong Kong",
    },
    "ru": {
        "RU": "Российская Федерация",
        "KR": "Республика Корея",
        "KP": "Корейская Народно-Демократическая Республика",
        "VN": "Вьетнам",
        "TR": "Турция",
        "PS": "Государство Палестина",
        "VA": "Святой Престол",
    },
    "zh": {
        "KR": "大韩民国",
        "RU": "俄罗斯联邦",
        "VN": "越南",
        "KP": "朝鲜民主主义人民共和国",
        "PS": "巴勒斯坦国",
        "HK": "中国香港特别行政区",
    },
    "ar": {
        "RU": "الاتحاد الروسي",
        "KR": "جمهورية كوريا",
        "KP": "جمهورية كوريا الشعبية الديمقراطية",
        "PS": "دولة فلسطين",
    },
}

COMMON_USAGE_NAMES = {
    "en": [
        "Palestinian Territories",
        "Taiwan",
        "Kosovo",
        "Hong Kong SAR China",
        "Russia",
        "North Korea",
        "South Korea",
        "Vietnam",
        "Turkey",
        "Congo - Brazzaville",
        "Congo - Kinshasa",
        "Clipperton Island",
        "Ceuta & Melilla",
        "Diego Garcia",
    ],
    "fr": [
        "Corée du Nord",
        "Corée du Sud",
        "Congo-Kinshasa",
        "Congo-Brazzaville",
        "Biélorussie",
        "Russie",
        "Turquie",
        "Territoires palestiniens",
        "Taïwan",
        "Kosovo",
    ],
    "es": [
        "Corea del Norte",
        "Corea del Sur",
        "Rusia",
        "Bielorrusia",
        "Vietnam",
        "Turquía",
        "Territorios Palestinos",
        "Taiwán",
        "Kosovo",
    ],
    "ru": ["Россия", "Южная Корея", "КНДР", "Палестинские территории", "Тайвань", "Косово"],
    "zh": ["俄罗斯", "韩国", "朝鲜", "巴勒斯坦领土", "台湾", "科索沃"],
    "ar": ["روسيا", "كوريا الجنوبية", "كوريا الشمالية", "روسيا البيضاء", "تايوان", "كوسوفو"],
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_states_and_areas_bear_their_un_names(lang):
    for code, name in UN_NAMES[lang].items():
        assert country_name(code, lang) == name


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_common_usage_name_is_offered(lang):
    offered = {name for _, name in country_choices(lang)}
    assert offered.isdisjoint(COMMON_USAGE_NAMES[lang])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_member_and_observer_state_is_named(lang):
    names = country_names(lang)
    for code in MEMBER_STATES | OBSERVER_STATES:
        assert names.get(code, "").strip(), code


@pytest.mark.parametrize("lang", LANGUAGES)
def test_names_are_unique_and_tidy(lang):
    names = list(country_names(lang).values())
    assert len(names) == len(set(names))
    assert all(name == name.strip() and "’" not in name and "  " not in name for name in names)


def test_codes_are_unique_iso_codes_of_states_and_areas():
    data = json.loads(
        resources.files("portal.registration").joinpath("un_countries.json").read_text("utf-8")
    )
    codes = [country["code"] for country in data["countries"]]
    assert len(codes) == len(set(codes))
    iso = set(Locale.parse("en").territories)
    user_assigned = re.compile(r"AA|Q[M-Z]|X[A-Z]|ZZ")
    assert all(code in iso and not user_assigned.fullmatch(code) for code in codes)
    kinds = {country["code"]: country["kind"] for country in data["countries"]}
    assert {code for code, kind in kinds.items() if kind == "member_state"} == MEMBER_STATES
    assert {code for code, kind in kinds.items() if kind == "observer_state"} == OBSERVER_STATES
    assert set(kinds.values()) == {"member_state", "observer_state", "area"}
    assert "UNTERM" in " ".join(data["source"]) and "M49" in " ".join(data["source"])


@pytest.mark.parametrize("code", ["XK", "TW", "EU", "CP", "EA", "DG", "XA", "XB"])
def test_codes_left_out_are_not_offered_but_stay_readable(code):
    assert not is_country_code(code)
    assert country_name(code, "en") == code


@pytest.mark.parametrize("lang", LANGUAGES)
def test_groups_put_states_first_and_areas_apart(lang):
    (states_label, states), (areas_label, areas) = country_groups(lang)
    assert states_label and areas_label and states_label != areas_label
    assert {code for code, _ in states} == MEMBER_STATES | OBSERVER_STATES
    assert {"HK", "MO", "PR", "GL", "NC", "GI", "BM", "FK", "EH", "AQ"} <= {c for c, _ in areas}
    for group in (states, areas):
        keys = [_sort_key(name) for _, name in group]
        assert keys == sorted(keys)
    assert sorted(states + areas) == sorted(country_choices(lang))


def test_order_ignores_accents_and_case():
    codes = [code for code, _ in country_choices("fr")]
    assert codes.index("DM") < codes.index("EG") < codes.index("SV") < codes.index("ZM")
    assert [name for _, name in country_groups("en")[0][1][:2]] == ["Afghanistan", "Albania"]


@pytest.mark.parametrize(("lang", "expected"), [("fr_CH", "fr"), ("zh-Hans", "zh"), ("de", "en")])
def test_regional_and_other_languages(lang, expected):
    assert country_names(lang) == country_names(expected)


def test_the_form_lists_states_first_then_other_areas_apart(client):
    from tests.factories import create_event

    event = create_event()
    page = client.get(f"/fr/events/{event.slug}/register").text

    states = page.index('<optgroup label="États Membres et États observateurs">')
    areas = page.index('<optgroup label="Autres pays ou zones">')
    assert states < page.index(">République de Corée<") < areas < page.index(">Porto Rico<")
