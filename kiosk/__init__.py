"""The touchscreen surface: the kiosk pages, their JSON API and the check-in page (views only)."""
