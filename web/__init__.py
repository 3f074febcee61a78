"""What every web surface shares: the database handle, the instance, translations, pictures,
the card-tap hub, one authentication module, one error policy and one page context.

Imports ``cards`` and ``points``, never ``kiosk`` or ``admin``.
"""
