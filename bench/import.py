"""The member import at scale, and upload bombs, through a real ``corner serve``.

    .venv/bin/python bench/import.py [--rows 100000] [--keep]

A fresh instance in a temporary folder gets an admin and one party branch; a real ``corner
serve`` subprocess serves it on a free loopback port, and a ``requests`` session logs in with the
CSRF token as a browser does. Then:

1. bombs: a 1.8 MB .xlsx whose sheet inflates to 1.1 GB, the same with a zip directory that lies
   about the sheet's size, and a PNG whose header claims 50,000 x 50,000 pixels (as a goods
   picture): the time to the refusal and its status;
2. a valid file of ``--rows`` members (.xlsx, as Excel and WPS write it: shared strings; and the
   same as .csv): the upload and first preview page (time, page size), a later preview page,
   the confirmation (time), and the members counted after it; then the same confirmation again
   (it must add nobody).

After each step it prints the server's peak resident memory (VmHWM from /proc). The exit status
is non-zero when an answer is not what it should be or the members are not exactly the file's.
It asserts nothing about time or memory.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import requests
from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.redeem import Server, machine  # noqa: E402
from points.db import connect  # noqa: E402
from points.members import add_member, count_members  # noqa: E402
from points.staff import add_staff  # noqa: E402
from tests.admin_support import PASSWORD, csrf_token  # noqa: E402
from tests.test_upload_limits import (  # noqa: E402
    bomb_chunks,
    huge_png,
    lying_directory,
    xlsx_with_sheet,  # noqa: E402
)
from web.instance import init_instance  # noqa: E402

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MB = 1024 * 1024


def peak(server: Server) -> float:
    """The server's peak resident memory so far, in MB."""
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def members_xlsx(rows: int) -> bytes:
    """A member list as Excel writes it (shared strings), with a header row."""
    book = Workbook()
    sheet = book.active
    sheet.append(["编号", "姓名", "党支部", "社区", "电话"])
    for index in range(rows):
        sheet.append([f"BM{index:06d}", f"成员{index}", "第一支部", "银枫社区", f"139{index:08d}"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def members_csv(rows: int) -> bytes:
    lines = ["编号,姓名,党支部,社区,电话"]
    lines += [
        f"BC{index:06d},成员{index},第一支部,银枫社区,139{index:08d}" for index in range(rows)
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


class Admin:
    """A browser session logged in to the admin pages."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        token = csrf_token(self.session.get(url + "/admin/login").text)
        answer = self.session.post(
            url + "/admin/login",
            data={"username": "bench", "password": PASSWORD, "csrf_token": token},
            allow_redirects=False,
        )
        assert answer.status_code == 302, answer.text

    def token(self, path: str) -> str:
        return csrf_token(self.session.get(self.url + path).text)

    def upload(self, path: str, field: str, filename: str, data: bytes, **form):
        token = self.token(path)
        return self.session.post(
            self.url + path,
            data={"csrf_token": token, **form},
            files={field: (filename, data, "application/octet-stream")},
            timeout=600,
        )


def timed(action):
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the instance folder")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="corner-bench-import-"))
    failures = []
    print(machine())
    try:
        instance, _new = init_instance(folder / "instance")
        db = connect(instance.database)
        add_staff(db, username="bench", password=PASSWORD, role="admin", actor="bench")
        add_member(
            db,
            number="QZ001",
            name="张三",
            branch="第一支部",
            community="银枫社区",
            request_id="bench-import-seed",
        )
        server = Server(instance.path)
        admin = Admin(server.url)
        print(f"server started: peak memory {peak(server):.0f} MB")

        print("\n-- bombs")
        bomb = xlsx_with_sheet(bomb_chunks(1_100_000_000))
        for name, data, expected in (
            ("zip bomb (sheet 1.1 GB unpacked)", bomb, 413),
            (
                "zip bomb, directory lying",
                lying_directory(bomb, "xl/worksheets/sheet1.xml", 5000),
                400,
            ),
        ):
            answer, seconds = timed(
                lambda data=data: admin.upload("/admin/members/import", "file", "b.xlsx", data)
            )
            code = re.search(r'data-code="([a-z_]+)"', answer.text)
            print(
                f"{name}: {len(data) / MB:.1f} MB file, answered {answer.status_code}"
                f" {code.group(1) if code else ''} in {seconds * 1000:.0f} ms;"
                f" server peak {peak(server):.0f} MB"
            )
            if answer.status_code != expected:
                failures.append(name)
        answer, seconds = timed(
            lambda: admin.upload(
                "/admin/goods/new", "picture", "big.png", huge_png(), name="大图", points="5"
            )
        )
        print(
            f"PNG claiming 50000 x 50000 px (goods picture): answered {answer.status_code}"
            f" in {seconds * 1000:.0f} ms; server peak {peak(server):.0f} MB"
        )
        if answer.status_code != 400:
            failures.append("picture bomb")

        for kind, data in (
            ("xlsx", members_xlsx(args.rows)),
            ("csv", members_csv(args.rows)),
        ):
            print(f"\n-- {args.rows:,} valid members, .{kind} of {len(data) / MB:.1f} MB")
            before = count_members(db)
            preview, seconds = timed(
                lambda data=data, kind=kind: admin.upload(
                    "/admin/members/import", "file", f"members.{kind}", data
                )
            )
            print(
                f"upload + check + first preview page: {seconds:.2f} s, page"
                f" {len(preview.content) / 1024:.0f} kB, status {preview.status_code};"
                f" server peak {peak(server):.0f} MB"
            )
            if preview.status_code != 200:
                failures.append(f"{kind} preview")
                continue
            import_id = re.search(r'name="import_id"[^>]*value="([^"]+)"', preview.text).group(1)
            later, seconds = timed(
                lambda import_id=import_id: admin.session.get(
                    f"{server.url}/admin/members/import/{import_id}?page=500"
                )
            )
            print(f"preview page 500: {seconds * 1000:.0f} ms, {len(later.content) / 1024:.0f} kB")
            token = csrf_token(preview.text)
            form = {"csrf_token": token, "import_id": import_id}
            confirmed, seconds = timed(
                lambda form=form: admin.session.post(
                    server.url + "/admin/members/import/confirm",
                    data=form,
                    allow_redirects=False,
                    timeout=600,
                )
            )
            added = count_members(db) - before
            print(
                f"confirm: {seconds:.2f} s, status {confirmed.status_code}, {added:,} members"
                f" added, confirm form {len('&'.join(f'{k}={v}' for k, v in form.items()))} bytes;"
                f" server peak {peak(server):.0f} MB"
            )
            again, seconds = timed(
                lambda form=form: admin.session.post(
                    server.url + "/admin/members/import/confirm", data=form, allow_redirects=False
                )
            )
            print(
                f"confirm again: {seconds * 1000:.0f} ms, status {again.status_code},"
                f" {count_members(db) - before - added} more added"
            )
            if (
                confirmed.status_code != 302
                or added != args.rows
                or count_members(db) != before + added
            ):
                failures.append(f"{kind} confirm")
        print(f"\nserver peak memory over the whole run: {peak(server):.0f} MB")
        server.stop()
        db.close()
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    if failures:
        print("FAILED:", ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
