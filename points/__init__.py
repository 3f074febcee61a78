"""The points core: storage, ledgers and the rules of an exchange corner.

Nothing here imports Flask or card hardware. Every write is one ``BEGIN IMMEDIATE`` transaction
that reads and checks its state inside the transaction, and every state change carries a request
id so that a repeat returns the first outcome instead of acting twice.
"""

from points.errors import CornerError

__all__ = ["CornerError"]
