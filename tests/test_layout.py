"""The layout holds: every import points one way, and every error has one answer.

``corner`` → ``kiosk`` / ``admin`` → ``web`` → ``cards`` → ``points``: a package imports only
packages to its right (``kiosk`` and ``admin`` never each other), at the top of a module, never
inside a function to dodge a circle.
"""

from __future__ import annotations

import ast
import logging
import re

import pytest

from points.errors import MESSAGES
from tests.conftest import ROOT
from web.errors import STATUS

LAYERS = {"points": 0, "cards": 1, "web": 2, "kiosk": 3, "board": 3, "admin": 3, "corner": 4}


def project_imports(path) -> list[tuple[str, bool, int]]:
    """(imported package, inside a function?, line) for every import of a project package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            names = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                names = [child.module]
            for name in names:
                if name.split(".")[0] in LAYERS:
                    found.append((name.split(".")[0], nested, child.lineno))
            visit(child, inner)

    visit(tree, False)
    return found


def modules():
    for package in LAYERS:
        yield from sorted((ROOT / package).rglob("*.py"))


def test_every_import_points_one_way():
    wrong = []
    for path in modules():
        package = path.relative_to(ROOT).parts[0]
        for imported, _nested, line in project_imports(path):
            if imported != package and LAYERS[imported] >= LAYERS[package]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    assert not wrong, "imports against corner → kiosk/admin → web → cards → points:\n" + "\n".join(
        wrong
    )


def test_no_project_import_hides_inside_a_function():
    hidden = [
        f"{path.relative_to(ROOT)}:{line} imports {imported}"
        for path in modules()
        for imported, nested, line in project_imports(path)
        if nested
    ]
    assert not hidden, "\n".join(hidden)


def test_the_import_test_sees_a_wrong_arrow(tmp_path):
    wrong = tmp_path / "module.py"
    wrong.write_text("import os\n\ndef f():\n    from admin.goods import goods\n")
    assert project_imports(wrong) == [("admin", True, 4)]


def test_every_error_code_has_exactly_one_status():
    assert set(STATUS) == set(MESSAGES)
    assert all(400 <= status <= 599 for status in STATUS.values())


# -- every surface answers a bug the same way ------------------------------------------------


def broken(*_args, **_kwargs):
    raise RuntimeError("a bug")


@pytest.fixture
def buggy_app(admin_client, monkeypatch):
    """The admin's browser, with one core call behind each surface broken."""
    monkeypatch.setattr("kiosk.api.corner_catalog", broken)
    monkeypatch.setattr("kiosk.pages.kiosk_strings", broken)
    monkeypatch.setattr("kiosk.checkin.list_activities", broken)
    monkeypatch.setattr("admin.goods.list_goods", broken)
    return admin_client


@pytest.mark.parametrize(
    ("url", "json"),
    [
        ("/api/kiosk/catalog", True),
        ("/kiosk", False),
        ("/checkin", False),
        ("/admin/goods", False),
    ],
)
def test_every_surface_answers_a_bug_with_internal_error(buggy_app, caplog, url, json):
    with caplog.at_level(logging.ERROR):
        answer = buggy_app.get(url)
    assert answer.status_code == 500
    if json:
        assert answer.json["error"]["code"] == "internal_error"
    else:
        assert "请联系工作人员" in answer.text or "工作人员" in answer.text
        assert "Traceback" not in answer.text and "a bug" not in answer.text
    assert any(record.exc_info and "a bug" in str(record.exc_info[1]) for record in caplog.records)


def test_the_api_document_gives_each_code_its_status():
    text = (ROOT / "docs" / "API.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d{3}) \| (.+?) \|", text, re.M)
    documented = {
        code: int(status) for status, codes in rows for code in re.findall(r"`(\w+)`", codes)
    }
    assert documented == STATUS


def test_admin_forms_take_their_bounds_from_the_core():
    """A form's length, range or pattern is a constant of points/, never a literal of its own."""
    literals = []
    for path in sorted((ROOT / "admin").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id not in ("Length", "NumberRange", "Regexp", "at_most", "whole_number"):
                continue
            for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
                if isinstance(argument, ast.Constant) and isinstance(argument.value, int | str):
                    if argument.value not in (0, 1) and not isinstance(argument.value, bool):
                        literals.append(f"admin/{path.name}:{node.lineno} {node.func.id}")
    assert not literals, "\n".join(literals)


@pytest.mark.parametrize(
    "url",
    [
        "/kiosk",
        "/api/kiosk/catalog",
        "/checkin",
        "/admin/login",
        "/board",
        "/nowhere",
        "/static/kiosk.js",
    ],
)
def test_every_answer_carries_the_security_headers(client, url):
    with client.get(url) as answer:  # a static file is streamed: close it
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["X-Frame-Options"] == "DENY"
        policy = answer.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
        assert answer.headers["Referrer-Policy"] == "same-origin"
