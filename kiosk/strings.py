"""The sentences the kiosk's script shows, in the page's language."""

from __future__ import annotations

from flask_babel import gettext

from web.i18n import error_strings


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
        # the member's current quarter beside their number
        "standing": gettext("This quarter %(points)s points, no. %(rank)s in the branch"),
        "standing_points": gettext("This quarter %(points)s points"),
        "stars_words": gettext("%(n)s stars"),
        "star_of_quarter": gettext("Star of the quarter"),
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
    strings.update(error_strings())
    return strings
