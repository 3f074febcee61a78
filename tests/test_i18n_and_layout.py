"""Chinese first, English complete; the core stays free of Flask and hardware."""

import re
import subprocess
import sys

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from points.errors import MESSAGES
from tests.conftest import ROOT
from web.i18n import TRANSLATIONS, translator

PO = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")


def source_messages() -> set[str]:
    """Every msgid in the code and templates, extracted as pybabel does (babel.cfg)."""
    sections = re.findall(r"^\[(\w+): ([^\]]+)\]", (ROOT / "babel.cfg").read_text(), re.M)
    method_map = [(pattern, method) for method, pattern in sections]
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    covered = {pattern.split("/")[0] for pattern, method in method_map if method == "python"}
    assert packages <= covered, f"babel.cfg misses {packages - covered}"
    keywords = {"_": None, "gettext": None, "N_": None, "lazy_gettext": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_string_in_the_code_has_a_chinese_translation():
    with open(PO, "rb") as handle:
        catalog = read_po(handle)
    translated = {message.id: message for message in catalog if message.id}
    missing = source_messages() - set(translated)
    assert not missing, f"untranslated: {sorted(missing)}"
    for message in translated.values():
        assert message.string and not message.fuzzy, message.id


def test_compiled_catalogue_matches_the_po_file():
    with open(PO, "rb") as handle:
        po = {message.id: message.string for message in read_po(handle) if message.id}
    with open(MO, "rb") as handle:
        mo = {message.id: message.string for message in read_mo(handle) if message.id}
    assert po == mo, "run: pybabel compile -d web/translations"


def test_every_error_code_reads_in_chinese_and_english():
    chinese, english = translator("zh_CN"), translator("en")
    for message in MESSAGES.values():
        assert chinese.gettext(message) != message
        assert any("\u4e00" <= char <= "\u9fff" for char in chinese.gettext(message))
        assert english.gettext(message) == message


def test_core_imports_neither_flask_nor_card_hardware():
    code = (
        # every module of the core, found on disk, so a new one cannot slip past
        "import importlib, pkgutil, sys, points;"
        "[importlib.import_module('points.' + module.name)"
        " for module in pkgutil.iter_modules(points.__path__)];"
        "bad = [m for m in sys.modules if m.split('.')[0] in"
        " ('flask', 'smartcard', 'kiosk', 'cards', 'werkzeug')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_views_write_no_sql():
    views = ("web", "kiosk", "admin", "corner")
    for path in [path for package in views for path in (ROOT / package).rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        for keyword in ("INSERT ", "UPDATE ", "DELETE ", ".execute("):
            if path.name in {"instance.py"}:
                continue
            assert keyword not in text, f"{path.name} contains {keyword!r}: SQL belongs in points/"
