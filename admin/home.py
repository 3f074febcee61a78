"""The landing page after logging in: the dashboard for admins, a short page for organisers."""

from __future__ import annotations

from flask import g, render_template

from admin.blueprint import blueprint
from admin.dashboard import render_dashboard
from web.auth import organiser_allowed


@blueprint.get("/")
@organiser_allowed
def home():
    if g.staff.role == "admin":
        return render_dashboard()
    return render_template("admin/home.html")
