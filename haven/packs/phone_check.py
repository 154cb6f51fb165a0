"""Every phone number in a region pack, checked against Google's numbering data (phonenumbers).

A typo in a helpline number sends a frightened child to a stranger or to nothing. A person
checks each number on the organisation's own site (`source`, `checked`, `verified`); this adds
a machine check that the number can exist in the region's country at all, that the emergency
number is one, and that a line the pack calls free (`free: true`) is free there.

A number the library does not know (a new national short code, say) is not proof of a typo: it
is an error in a `verified: true` entry, and a warning, listed for a person, in one that is not.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType, ShortNumberCost, shortnumberinfo

from haven.packs.content import INTERNATIONAL, ContentPacks, HelpEntry, Problem, Region

COUNTRY_ALIASES = {"UK": "GB"}
"""Locales a chat may send that are not ISO 3166 codes."""
COSTS = {
    ShortNumberCost.STANDARD_RATE: "charged at the standard rate",
    ShortNumberCost.PREMIUM_RATE: "a premium-rate number",
}


def check_phone_numbers(packs: ContentPacks) -> list[Problem]:
    """Every number of every region, for the region's country."""
    found: list[Problem] = []
    for region in packs.regions.values():
        entries = region.entries()
        if region.code == INTERNATIONAL or not any(entry.phones() for entry in entries):
            continue
        if not region.locales:
            found.append(
                Problem(region.path, 1, "`locales` is needed to check the phone numbers (`[GB]`)")
            )
            continue
        country = COUNTRY_ALIASES.get(region.locales[0], region.locales[0])
        for entry in entries:
            found += _check_entry(entry, region, country)
    return found


def _check_entry(entry: HelpEntry, region: Region, country: str) -> list[Problem]:
    found = []
    emergency = entry is region.emergency
    for number in entry.phones():
        parsed = _parse(number, country)
        full = parsed is not None and phonenumbers.is_valid_number_for_region(parsed, country)
        short = parsed is not None and shortnumberinfo.is_valid_short_number_for_region(
            parsed, country
        )
        if parsed is None or not (full or short):
            found.append(_unknown(entry, number, country))
            continue
        if emergency and not shortnumberinfo.is_emergency_number(_digits(number), country):
            found.append(
                Problem(
                    entry.path,
                    entry.line,
                    f"{number} is not an emergency number in {country}: check `emergency`",
                )
            )
        if entry.free and (entry.call or entry.call_or_text) and number not in _texts(entry):
            found += _check_free(entry, number, parsed, full, country)
    return found


def _check_free(
    entry: HelpEntry, number: str, parsed: phonenumbers.PhoneNumber, full: bool, country: str
) -> list[Problem]:
    """`free: true` must agree with the library: toll-free, or a short number at no cost."""
    if full:
        if phonenumbers.number_type(parsed) == PhoneNumberType.TOLL_FREE:
            return []
        return [
            Problem(
                entry.path,
                entry.line,
                f"`free: true`, but {number} is not a toll-free number in {country}: remove `free`",
            )
        ]
    cost = shortnumberinfo.expected_cost_for_region(parsed, country)
    if cost == ShortNumberCost.TOLL_FREE:
        return []
    if cost in COSTS:
        return [
            Problem(
                entry.path,
                entry.line,
                f"`free: true`, but {number} is {COSTS[cost]} in {country}: remove `free`",
            )
        ]
    return [
        Problem(
            entry.path,
            entry.line,
            f"`free: true`: the numbering data does not say what {number} costs in {country}; "
            "check it on the line's own site",
            "warning",
        )
    ]


def _unknown(entry: HelpEntry, number: str, country: str) -> Problem:
    what = f"{number} is not a phone number the numbering data knows in {country}"
    if entry.verified:
        return Problem(
            entry.path,
            entry.line,
            f"{what}: check it on the organisation's own site, and mark the entry "
            "`verified: false` until a person has",
        )
    return Problem(entry.path, entry.line, f"{what}; a person must confirm it", "warning")


def _parse(number: str, country: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(_digits(number), country)
    except phonenumbers.NumberParseException:
        return None


def _digits(number: str) -> str:
    """A vanity number as digits (1-800-CALL-FBI is 1-800-2255-324)."""
    return phonenumbers.convert_alpha_characters_in_number(number)


def _texts(entry: HelpEntry) -> set[str]:
    """Numbers that are only for texting: `free` is about calls."""
    calls = {*entry.call, *entry.call_or_text}
    return {entry.text.number} - calls if entry.text else set()
