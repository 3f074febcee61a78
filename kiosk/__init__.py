"""The Flask application: app factory, CLI, the touchscreen pages and their JSON API."""

from kiosk.app import create_app

__all__ = ["create_app"]
