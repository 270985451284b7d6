"""Countries: the names and codes careers platforms write, and what a bare "$" means in each.

``country_code`` turns whatever a platform sends (a name, an alpha-2 or alpha-3 code) into ISO 3166
alpha-2; ``default_currency_for_country`` says which currency a bare "$" is in a posting located there.
"""

from __future__ import annotations

import re
from typing import Any

from scrapers.extract.common import clean_inline

# Country names as careers platforms write them, lower-cased, to ISO 3166 alpha-2.
COUNTRY_NAMES = {
    "united states": "US", "united states of america": "US", "usa": "US", "us": "US", "u.s.": "US",
    "u.s.a.": "US", "america": "US",
    "canada": "CA", "mexico": "MX", "brazil": "BR", "argentina": "AR", "chile": "CL", "colombia": "CO",
    "peru": "PE", "costa rica": "CR",
    "united kingdom": "GB", "uk": "GB", "great britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB", "ireland": "IE", "france": "FR", "germany": "DE",
    "deutschland": "DE", "spain": "ES", "portugal": "PT", "italy": "IT", "netherlands": "NL",
    "the netherlands": "NL", "belgium": "BE", "luxembourg": "LU", "switzerland": "CH", "austria": "AT",
    "sweden": "SE", "norway": "NO", "denmark": "DK", "finland": "FI", "iceland": "IS", "poland": "PL",
    "czech republic": "CZ", "czechia": "CZ", "slovakia": "SK", "hungary": "HU", "romania": "RO",
    "bulgaria": "BG", "greece": "GR", "croatia": "HR", "serbia": "RS", "slovenia": "SI", "estonia": "EE",
    "latvia": "LV", "lithuania": "LT", "ukraine": "UA", "turkey": "TR", "türkiye": "TR", "cyprus": "CY",
    "malta": "MT", "israel": "IL", "united arab emirates": "AE", "uae": "AE", "saudi arabia": "SA",
    "qatar": "QA", "egypt": "EG", "south africa": "ZA", "nigeria": "NG", "kenya": "KE", "morocco": "MA",
    "india": "IN", "pakistan": "PK", "bangladesh": "BD", "sri lanka": "LK", "china": "CN",
    "hong kong": "HK", "taiwan": "TW", "japan": "JP", "south korea": "KR", "korea": "KR",
    "republic of korea": "KR", "korea, republic of": "KR", "singapore": "SG", "malaysia": "MY",
    "indonesia": "ID", "philippines": "PH", "thailand": "TH", "vietnam": "VN", "viet nam": "VN",
    "australia": "AU", "new zealand": "NZ",
}
# ISO 3166 alpha-3 codes (Amazon's `country_code`, some Workday tenants) to alpha-2.
ALPHA3_CODES = {
    "USA": "US", "CAN": "CA", "GBR": "GB", "IRL": "IE", "DEU": "DE", "FRA": "FR", "ESP": "ES",
    "ITA": "IT", "NLD": "NL", "LUX": "LU", "POL": "PL", "CZE": "CZ", "ROU": "RO", "SWE": "SE",
    "IND": "IN", "CHN": "CN", "JPN": "JP", "SGP": "SG", "AUS": "AU", "BRA": "BR", "MEX": "MX",
    "ISR": "IL", "ZAF": "ZA", "ARE": "AE", "SAU": "SA", "EGY": "EG", "TUR": "TR", "KOR": "KR",
    "CRI": "CR", "COL": "CO", "PHL": "PH", "VNM": "VN", "NZL": "NZ", "AUT": "AT", "BEL": "BE",
    "CHE": "CH", "HKG": "HK", "ARG": "AR",
}


def country_code(value: Any) -> str | None:
    """ISO alpha-2 for a country name, alpha-2 or alpha-3 code; None when it is not one we know."""
    text = clean_inline(value)
    if not text:
        return None
    name = text.lower()
    if name in COUNTRY_NAMES or name.rstrip(".") in COUNTRY_NAMES:
        return COUNTRY_NAMES.get(name) or COUNTRY_NAMES[name.rstrip(".")]
    if re.fullmatch(r"[A-Za-z]{2}", text):
        return text.upper()
    return ALPHA3_CODES.get(text.upper())


# What a bare "$" means in a posting for a given country (ISO 3166 alpha-2). Anything not listed
# (including countries that do not use a dollar or peso sign) reads "$" as US dollars.
DOLLAR_CURRENCY_BY_COUNTRY = {
    "US": "USD", "PR": "USD", "EC": "USD", "SV": "USD", "PA": "USD", "TL": "USD", "FM": "USD",
    "MH": "USD", "PW": "USD", "ZW": "USD", "VG": "USD", "TC": "USD", "BQ": "USD",
    "CA": "CAD", "AU": "AUD", "NZ": "NZD", "MX": "MXN", "SG": "SGD", "HK": "HKD", "AR": "ARS",
    "CL": "CLP", "CO": "COP", "UY": "UYU", "CU": "CUP", "DO": "DOP", "TW": "TWD", "BR": "BRL",
    "JM": "JMD", "BS": "BSD", "BB": "BBD", "BZ": "BZD", "BM": "BMD", "KY": "KYD", "TT": "TTD",
    "GY": "GYD", "SR": "SRD", "FJ": "FJD", "SB": "SBD", "LR": "LRD", "NA": "NAD", "BN": "BND",
    "KI": "AUD", "NR": "AUD", "TV": "AUD", "CK": "NZD", "NU": "NZD",
}


def default_currency_for_country(country_code: str | None) -> str:
    """The currency a bare "$" means in a posting located in ``country_code`` (ISO alpha-2)."""
    if not country_code:
        return "USD"
    return DOLLAR_CURRENCY_BY_COUNTRY.get(country_code.strip().upper(), "USD")
