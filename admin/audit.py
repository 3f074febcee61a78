"""The audit trail: every staff action with filters, exported as CSV (and .xlsx with openpyxl)."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re

from flask import Response, abort, render_template, request
from flask_babel import gettext, lazy_gettext

from admin.blueprint import blueprint
from admin.exports import csv_text, workbook
from points.audit import AuditEntry, audit_names, list_audit
from web.db import get_db

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PAGE_ROWS = 300
EXPORT_ROWS = 10_000

# what the staff did, in words; an action not named here shows its code
ACTION_LABELS = {
    "login": lazy_gettext("Logged in"),
    "add_staff": lazy_gettext("Added a staff account"),
    "add_member": lazy_gettext("Registered a member"),
    "edit_member": lazy_gettext("Edited a member"),
    "set_member_status": lazy_gettext("Changed a member's status"),
    "set_password": lazy_gettext("Changed a password"),
    "deactivate_staff": lazy_gettext("Deactivated a staff account"),
    "award": lazy_gettext("Awarded points"),
    "deduction": lazy_gettext("Deducted points"),
    "issue_qr_card": lazy_gettext("Issued a QR card"),
    "bind_nfc_card": lazy_gettext("Bound an NFC card"),
    "revoke_card": lazy_gettext("Revoked a card"),
    "import_members": lazy_gettext("Imported members"),
    "add_goods": lazy_gettext("Added an item"),
    "update_goods": lazy_gettext("Edited an item"),
    "restock": lazy_gettext("Restocked"),
    "correct_stock": lazy_gettext("Corrected the stock after a count"),
    "set_low_threshold": lazy_gettext("Set a low-stock threshold"),
    "set_goods_limit": lazy_gettext("Set a limit per member"),
    "reverse_redemption": lazy_gettext("Reversed a redemption"),
}


def _filters() -> dict:
    def date(name: str) -> str | None:
        value = request.args.get(name, "").strip()
        return value if _DATE.match(value) else None

    return {
        "actor": request.args.get("actor", "").strip()[:40] or None,
        "action": request.args.get("action", "").strip()[:40] or None,
        "target": request.args.get("target", "").strip()[:80] or None,
        "since": date("since"),
        "until": date("until"),
    }


def xlsx_available() -> bool:
    return importlib.util.find_spec("openpyxl") is not None


def _json(value: dict | None) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label else action


@blueprint.get("/audit")
def audit():
    filters = _filters()
    entries = list_audit(get_db(), **filters, limit=PAGE_ROWS)
    actors, actions = audit_names(get_db())
    return render_template(
        "admin/audit/list.html",
        entries=entries,
        filters=filters,
        actors=actors,
        actions=actions,
        action_label=action_label,
        as_json=_json,
        page_rows=PAGE_ROWS,
        xlsx=xlsx_available(),
        export_args={name: value for name, value in filters.items() if value},
    )


def _rows(entries: list[AuditEntry]) -> list[list[str]]:
    header = [
        gettext("Time"),
        gettext("By"),
        gettext("Action"),
        gettext("Action code"),
        gettext("Target"),
        gettext("Before"),
        gettext("After"),
        gettext("Asked"),
        gettext("Request id"),
    ]
    rows = [header]
    for entry in entries:
        rows.append(
            [
                "" if value is None else str(value)
                for value in (
                    entry.created,
                    entry.actor,
                    action_label(entry.action),
                    entry.action,
                    entry.target,
                    _json(entry.before),
                    _json(entry.after),
                    _json(entry.params),
                    entry.request_id,
                )
            ]
        )
    return rows


@blueprint.get("/audit/export.<kind>")
def audit_export(kind: str):
    if kind not in ("csv", "xlsx") or (kind == "xlsx" and not xlsx_available()):
        abort(404)
    rows = _rows(list_audit(get_db(), **_filters(), limit=EXPORT_ROWS))
    if kind == "csv":
        text = io.StringIO()
        csv.writer(text).writerows([[csv_text(cell) for cell in row] for row in rows])
        # the byte order mark makes Excel read the file as UTF-8, so Chinese shows right
        body = ("\ufeff" + text.getvalue()).encode("utf-8")
        mimetype = "text/csv; charset=utf-8"
    else:
        body = _xlsx(rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename=audit.{kind}"},
    )


def _xlsx(rows: list[list[str]]) -> bytes:
    return workbook([(gettext("Audit trail"), rows[0], rows[1:])]).getvalue()
