"""The page context: which corner and which kiosk a request comes from.

Said once, here. The kiosk's scan, catalogue and redemption, the check-in page, card taps and
the admin's default corner all ask ``page_context()``; the hub asks ``channel_corner()`` for a
tap, which answers the same way.

- A browser bound to a kiosk (``/kiosk?kiosk=NAME&key=TOKEN``) belongs to that kiosk and its
  corner; it hears that kiosk's card taps. A binding whose kiosk was revoked (or removed)
  hears nothing and may not open member sessions.
- Any other browser on this machine is the server's own kiosk ("local"): the instance's corner,
  this machine's card readers.
- Any other browser elsewhere is an office PC or a phone: the instance's corner, no card taps.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from flask import g, request

from points.db import Store
from points.errors import CornerError
from points.kiosks import find_kiosk
from web.auth import bound_kiosk
from web.db import get_db
from web.instance import Instance, current_instance

LOCAL = "local"  # the channel of pages opened on this machine, fed by its own readers


@dataclass(frozen=True)
class PageContext:
    """Where a page is: its corner, and the kiosk channel whose card taps it may see."""

    corner_id: int
    channel: str | None  # LOCAL, a bound kiosk's name, or None (no card taps here)
    kiosk: str | None = None  # the bound kiosk's name, if any
    revoked: bool = False  # bound to a kiosk that no longer may act

    @property
    def on_kiosk(self) -> bool:
        """Is this page a kiosk (this machine's screen, or a bound kiosk still active)?"""
        return self.channel is not None

    def require_kiosk(self) -> PageContext:
        """This context, unless it is a revoked kiosk's: then ``kiosk_unauthorized``."""
        if self.revoked:
            raise CornerError("kiosk_unauthorized")
        return self


def is_loopback() -> bool:
    """Is this request from this machine (where its own card readers are)?"""
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def page_context() -> PageContext:
    """Which corner and which kiosk this request's page is (read once per request)."""
    context = g.get("page_context")
    if context is None:
        context = g.page_context = _resolve(get_db())
    return context


def _resolve(db: Store) -> PageContext:
    instance = current_instance()
    name = bound_kiosk()
    if name is not None:
        corner = channel_corner(db, instance, name)
        if corner is None:  # revoked or removed: no taps, no sessions, the stock it showed
            kiosk = find_kiosk(db, name)
            own = kiosk.corner_id if kiosk else instance.settings.corner
            return PageContext(own, None, name, revoked=True)
        return PageContext(corner, name, name)
    return PageContext(instance.settings.corner, LOCAL if is_loopback() else None)


def channel_corner(db: Store, instance: Instance, channel: str) -> int | None:
    """The corner of a channel's kiosk (LOCAL: the instance's), or None for no active kiosk.

    Outside a request too: the card-tap hub asks it for every tap.
    """
    if channel == LOCAL:
        return instance.settings.corner
    kiosk = find_kiosk(db, channel)
    return None if kiosk is None or kiosk.revoked else kiosk.corner_id
