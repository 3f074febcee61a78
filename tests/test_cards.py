"""QR card tokens: what a good card looks like, and every way a bad one is refused."""

import pytest
import qrcode

from cards.credentials import scan
from cards.token import CardSecret, make_token, read_token
from points.errors import CornerError
from points.member_cards import issue_qr_card
from tests.helpers import card_token, make_member, rid


def scan_code(instance, db, text):
    with pytest.raises(CornerError) as refused:
        scan(db, instance.secret(), text, corner_id=1)
    return refused.value.code


def test_a_current_card_opens_a_session(instance, db):
    make_member(db, points=12)
    session = scan(db, instance.secret(), card_token(instance, db), corner_id=1)
    assert (session.member_number, session.member_name, session.balance) == ("QZ001", "张三", 12)


def test_token_is_short_enough_for_a_small_qr_code(instance, db):
    make_member(db, number="QZ-2026-0001")
    token = card_token(instance, db, "QZ-2026-0001")
    assert len(token) <= 45
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(token)
    code.make(fit=True)
    assert code.version <= 3  # 29 x 29 modules at most: readable off a printed card


def test_scanner_noise_around_a_token_is_tolerated(instance, db):
    make_member(db)
    token = card_token(instance, db)
    session = scan(db, instance.secret(), f"  {token.lower()}\r\n", corner_id=1)
    assert session.member_number == "QZ001"


def test_forged_signature_is_refused(instance, db):
    make_member(db)
    token = card_token(instance, db)
    last = "A" if token[-1] != "A" else "B"
    assert scan_code(instance, db, token[:-1] + last) == "card_invalid"


def test_altered_member_number_is_refused(instance, db):
    make_member(db)
    make_member(db, number="QZ002", name="李四")
    token = card_token(instance, db)
    assert scan_code(instance, db, token.replace(".QZ001.", ".QZ002.")) == "card_invalid"


def test_altered_serial_is_refused(instance, db):
    make_member(db)
    token = card_token(instance, db)
    parts = token.split(".")
    parts[3] = str(int(parts[3]) + 1)
    assert scan_code(instance, db, ".".join(parts)) == "card_invalid"


def test_old_card_stops_working_when_reissued(instance, db):
    make_member(db)
    old = card_token(instance, db)
    issue_qr_card(db, number="QZ001", request_id=rid())
    new = card_token(instance, db)
    assert old != new
    assert scan_code(instance, db, old) == "card_revoked"
    assert scan(db, instance.secret(), new, corner_id=1).member_number == "QZ001"


def test_card_of_another_instance_is_refused(instance, db):
    make_member(db)
    serial = int(card_token(instance, db).split(".")[3])
    foreign = make_token(CardSecret.generate(), member_number="QZ001", serial=serial)
    assert scan_code(instance, db, foreign) == "card_foreign"


def test_well_signed_token_for_a_card_we_never_issued_is_unknown(instance, db):
    make_member(db)
    token = make_token(instance.secret(), member_number="QZ001", serial=999)
    assert scan_code(instance, db, token) == "card_unknown"


def test_outdated_token_version_is_refused(instance, db):
    make_member(db)
    token = card_token(instance, db)
    assert scan_code(instance, db, "EC0" + token[3:]) == "card_invalid"
    with pytest.raises(CornerError) as refused:
        read_token(instance.secret(), "EC0" + token[3:])
    assert refused.value.details["reason"] == "version"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hello world",
        "QZ001",
        "EC1.",
        None,
        12345,
        ["EC1"],
        "x" * 10_000,
        "EC1.ABCD.QZ001.1." + "A" * 15,
        "EC1.ABCD.QZ001.0.AAAAAAAAAAAAAAAA",
        "ＥＣ１",
        "EC1\x00",
    ],
)
def test_garbage_is_refused(instance, db, text):
    make_member(db)
    assert scan_code(instance, db, text) == "card_invalid"


def test_truncated_token_is_refused(instance, db):
    make_member(db)
    token = card_token(instance, db)
    for length in range(len(token)):
        assert scan_code(instance, db, token[:length]) == "card_invalid"


def test_secret_file_is_private_and_never_overwritten(instance):
    mode = instance.secret_file.stat().st_mode & 0o777
    assert mode == 0o600
    with pytest.raises(FileExistsError):
        CardSecret.generate().save(instance.secret_file)
