"""Translated strings for the kiosk's JavaScript, and translation outside a request (the CLI)."""

from __future__ import annotations

import functools
from pathlib import Path

from babel import Locale
from babel.support import Translations
from flask_babel import gettext

from points.errors import MESSAGES

TRANSLATIONS = Path(__file__).parent / "translations"


def kiosk_strings() -> dict[str, str]:
    """The sentences kiosk.js shows, in the page's language. %(n)s marks a number."""
    strings = {
        "points": gettext("%(n)s points"),
        "stock_left": gettext("%(n)s left"),
        "out_of_stock": gettext("All gone"),
        "not_enough": gettext("Not enough points"),
        "no_more": gettext("No more left"),
        "in_cart": gettext("Chosen: %(n)s"),
        "more": gettext("One more"),
        "less": gettext("One less"),
        "total": gettext("Total: %(n)s points"),
        "left_after": gettext("You will have %(n)s points left"),
        "times": gettext("× %(n)s"),
        "network": gettext("The connection to the server was lost. Please try again."),
        "reading": gettext("Reading your card…"),
        "receipt_number": gettext("Receipt no. %(n)s"),
        "idle_warning": gettext("Going back to the start in %(n)s seconds"),
        "limit_reached": gettext("Limit reached for now"),
        "switch_question": gettext("Switch to %(n)s? The items chosen so far are dropped."),
        "reader_ready": gettext("✓ Card reader ready"),
        "reader_missing": gettext("Card reader disconnected — please use your QR card"),
        # the member's points record; %(total)s is the number of pages
        "record_opening": gettext("Opening your points record…"),
        "record_kind_award": gettext("Points awarded"),
        "record_kind_deduction": gettext("Points deducted"),
        "record_kind_redemption": gettext("Goods redeemed"),
        "record_kind_reversal": gettext("Exchange cancelled, points given back"),
        "record_kind_correction": gettext("Points corrected"),
        "record_kind_other": gettext("Points changed"),
        "record_kind_reason": gettext("%(kind)s: %(reason)s"),
        "record_balance_after": gettext("Balance after: %(n)s points"),
        "record_page": gettext("Page %(n)s of %(total)s"),
        "record_newest_first": gettext("Newest at the top."),
        "record_older_note": gettext("Older ones: ask the staff."),
    }
    strings.update({f"error_{code}": gettext(message) for code, message in MESSAGES.items()})
    return strings


@functools.cache
def translator(language: str) -> Translations:
    """A gettext catalogue for code that runs outside a request, such as the CLI (read once)."""
    # catalogues live under Babel's full locale name (zh_Hans_CN), as Flask-Babel looks them up
    return Translations.load(str(TRANSLATIONS), [Locale.parse(language)])
