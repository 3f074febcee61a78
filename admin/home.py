"""The landing page after logging in (the dashboard comes here later)."""

from __future__ import annotations

from flask import render_template

from admin import blueprint, organiser_allowed


@blueprint.get("/")
@organiser_allowed
def home():
    return render_template("admin/home.html")
