"""Reference data: Changzhi's districts, counties and development zones; industry sections.

Districts come from ``marketplace/data/changzhi_areas.csv`` (12 districts and counties) and the
development zones from ``changzhi_streets.csv`` (they are listed there as town-level units), with
the 2022 national administrative division codes. Industry sections are the 20 top-level sections
of GB/T 4754-2017.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

DATA_DIR = Path(__file__).resolve().parent / "data"

DISTRICT_NAMES_EN = {
    "140403": "Luzhou District", "140404": "Shangdang District", "140405": "Tunliu District",
    "140406": "Lucheng District", "140423": "Xiangyuan County", "140425": "Pingshun County",
    "140426": "Licheng County", "140427": "Huguan County", "140428": "Zhangzi County",
    "140429": "Wuxiang County", "140430": "Qin County", "140431": "Qinyuan County",
}


@dataclass(frozen=True)
class Area:
    code: str
    name_zh: str
    name_en: str
    is_zone: bool  # a development zone (listed under a district in the source data)
    parent_code: str | None = None

    @property
    def name(self) -> str:
        locale = get_locale()
        return self.name_en if locale is not None and locale.language == "en" else self.name_zh


def _zone_name_en(name_zh: str, parent: str) -> str:
    county = DISTRICT_NAMES_EN[parent].replace(" District", "").replace(" County", "")
    if "长治市经济技术开发区" in name_zh or "长治经济技术开发区" in name_zh:
        part = f" ({DISTRICT_NAMES_EN[parent]} part)" if "部分" in name_zh else ""
        return f"Changzhi Economic and Technological Development Zone{part}"
    return f"{county} Economic and Technological Development Zone"


@cache
def areas() -> tuple[Area, ...]:
    """Districts and counties first (by code), each followed by its development zones."""
    with open(DATA_DIR / "changzhi_areas.csv", encoding="utf-8") as fh:
        districts = [row for row in csv.DictReader(fh)]
    with open(DATA_DIR / "changzhi_streets.csv", encoding="utf-8") as fh:
        zones = [row for row in csv.DictReader(fh) if "开发区" in row["name"]]
    result: list[Area] = []
    for row in sorted(districts, key=lambda r: r["code"]):
        result.append(Area(row["code"], row["name"], DISTRICT_NAMES_EN[row["code"]], False))
        for zone in sorted((z for z in zones if z["areaCode"] == row["code"]), key=lambda z: z["code"]):
            result.append(Area(zone["code"], zone["name"], _zone_name_en(zone["name"], row["code"]),
                               True, row["code"]))
    return tuple(result)


@cache
def _areas_by_code() -> dict[str, Area]:
    return {area.code: area for area in areas()}


def get_area(code: str | None) -> Area | None:
    return _areas_by_code().get(code or "")


def area_name(code: str | None) -> str:
    area = get_area(code)
    return area.name if area else (code or "")


def area_choices() -> list[tuple[str, str]]:
    return [(a.code, ("　— " if a.is_zone else "") + a.name) for a in areas()]


INDUSTRY_SECTIONS = {
    "A": _l("Agriculture, forestry, animal husbandry and fishery"),
    "B": _l("Mining"),
    "C": _l("Manufacturing"),
    "D": _l("Electricity, heat, gas and water supply"),
    "E": _l("Construction"),
    "F": _l("Wholesale and retail trade"),
    "G": _l("Transport, storage and postal services"),
    "H": _l("Accommodation and catering"),
    "I": _l("Information transmission, software and IT services"),
    "J": _l("Finance"),
    "K": _l("Real estate"),
    "L": _l("Leasing and business services"),
    "M": _l("Scientific research and technical services"),
    "N": _l("Water conservancy, environment and public facilities"),
    "O": _l("Residential, repair and other services"),
    "P": _l("Education"),
    "Q": _l("Health and social work"),
    "R": _l("Culture, sports and entertainment"),
    "S": _l("Public administration, social security and social organisations"),
    "T": _l("International organisations"),
}


def industry_name(section: str | None) -> str:
    label = INDUSTRY_SECTIONS.get(section or "")
    return f"{section} · {label}" if label else (section or "")


def industry_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} · {label}") for code, label in INDUSTRY_SECTIONS.items()]
