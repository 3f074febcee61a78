"""The composition root: the app factory, the ``corner`` command and the demo.

The only package that imports both ``kiosk`` and ``admin``.
"""
