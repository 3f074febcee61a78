"""The admin pages at /admin: staff log in and run the corner from a browser.

``admin.blueprint`` holds the blueprint and its gate; each module here adds one area's views.
"""

from admin import (  # noqa: F401 - each module attaches its views to the blueprint
    activities,
    audit,
    auth,
    branches,
    cards,
    goods,
    home,
    imports,
    logins,
    members,
    pin,
    quarters,
    records,
    redemptions,
    staff,
    standards,
    stock,
)
from admin.blueprint import assets, blueprint

__all__ = ["assets", "blueprint"]
