"""One error type with stable codes; the codes and their messages live in one table."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for translation without translating it (the core knows no locale)."""
    return message


# code -> English message (the msgid). The kiosk and the CLI translate it; tests assert on the code.
# Messages are written for the person in front of the screen: plain words, no jargon.
MESSAGES: dict[str, str] = {
    "card_invalid": N_("This card could not be read. Please try again or ask a staff member."),
    "card_foreign": N_("This card belongs to another exchange corner. Please ask a staff member."),
    "card_unknown": N_("This card is not registered here. Please ask a staff member."),
    "card_revoked": N_("This card is no longer valid. Please ask a staff member for a new card."),
    "card_in_use": N_("This card is already bound to a member."),
    "kiosk_unknown": N_("There is no kiosk with this name."),
    "kiosk_exists": N_("A kiosk with this name already exists."),
    "kiosk_unauthorized": N_("This kiosk is not allowed to send card taps."),
    "member_inactive": N_("This member account is not active. Please ask a staff member."),
    "member_unknown": N_("There is no member with this number."),
    "member_exists": N_("A member with this number already exists."),
    "session_expired": N_("Your time is up. Please tap your card again."),
    "insufficient_points": N_("You do not have enough points for this."),
    "out_of_stock": N_("Sorry, there is not enough of this item left."),
    "limit_reached": N_("You have already had as many of this item as allowed for now."),
    "goods_unavailable": N_("This item is not available at the moment."),
    "goods_unknown": N_("There is no such item."),
    "goods_exists": N_("An item with this name already exists."),
    "corner_unknown": N_("There is no such exchange corner."),
    "corner_exists": N_("An exchange corner with this name already exists."),
    "community_unknown": N_("There is no such community."),
    "community_exists": N_("A community with this name already exists."),
    "branch_unknown": N_("There is no such party branch."),
    "branch_exists": N_("This community already has a party branch with this name."),
    "redemption_unknown": N_("There is no such redemption."),
    "already_reversed": N_("This redemption has already been reversed."),
    "login_failed": N_("The user name or the password is wrong."),
    "login_required": N_("Your login has ended. Please log in again to go on."),
    "login_locked": N_("Too many failed logins. Please wait a few minutes and try again."),
    "login_unknown": N_("This login has already ended."),
    "staff_exists": N_("A staff account with this name already exists."),
    "staff_unknown": N_("There is no staff account with this name."),
    "staff_last_admin": N_("This is the last active admin account; add another admin first."),
    "staff_self": N_("You cannot deactivate your own account."),
    "password_too_short": N_("The password must be at least 8 characters long."),
    "activity_unknown": N_("There is no such activity."),
    "activity_not_open": N_("Check-in for this activity has not started yet."),
    "activity_closed": N_("This activity is closed; check-in has ended."),
    "activity_full": N_("This activity is full."),
    "duplicate_checkin": N_("Already checked in for this activity."),
    "checkin_unknown": N_("This member is not checked in for this activity."),
    "already_checked_out": N_("Already checked out from this activity."),
    "not_checked_in": N_("This member has not checked in, so cannot check out."),
    "pin_wrong": N_("This PIN is not right. Please try again."),
    "pin_locked": N_("Too many wrong PINs. Please wait a few minutes and try again."),
    "pin_taken": N_("This PIN cannot be used. Please choose another one."),
    "checkin_not_pending": N_("This check-in is not waiting for approval."),
    "category_unknown": N_("There is no such activity category."),
    "category_exists": N_("An activity category with this name already exists."),
    "screen_unauthorized": N_("This screen may not show the board. Please ask a staff member."),
    "quarter_locked": N_(
        "This quarter is locked: nothing in it can change any more. Make the correction in the "
        "current quarter."
    ),
    "quarter_state": N_("The quarter is not at the step where this can be done."),
    "posting_not_over": N_("The posting period is not over yet."),
    "objections_open": N_("Some objections are still open: resolve them first."),
    "objection_unknown": N_("There is no such objection."),
    "objection_resolved": N_("This objection has already been resolved."),
    "star_not_earned": N_("Only a member with five stars this quarter can be its star."),
    "request_conflict": N_("This request id was already used for a different request."),
    "invalid_request": N_("Something was wrong with the request. Please try again."),
    "internal_error": N_("Something went wrong on our side. Please ask a staff member."),
    "image_invalid": N_("This picture could not be read. Please take the photo again."),
    # the figures are points.uploads' limits (a test holds them equal)
    "import_too_large": N_(
        "This file is too large to import: at most 20 MB, 200,000 rows and 64 columns, and at "
        "most 256 MB once unpacked. Please split it into smaller files."
    ),
}


class CornerError(Exception):
    """A refused operation; ``code`` is stable, ``details`` say what exactly was refused."""

    def __init__(self, code: str, **details: object) -> None:
        if code not in MESSAGES:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(code)
        self.code = code
        self.details = details

    @property
    def message(self) -> str:
        """The untranslated (English) message for this code."""
        return MESSAGES[self.code]

    def __str__(self) -> str:
        extra = ", ".join(f"{key}={value}" for key, value in self.details.items())
        return f"{self.code}: {self.message}" + (f" ({extra})" if extra else "")
