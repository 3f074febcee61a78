"""Server-side QR decoding (cards.decode): phone photos of printed cards, and refused uploads."""

from __future__ import annotations

import io
import math
import random
import struct
import zlib

import pytest
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from cards.decode import MAX_BYTES, MAX_PIXELS, decode_qr
from cards.qr import qr_png
from cards.token import CardSecret, make_token, read_token
from points.errors import CornerError
from tests.helpers import card_token, make_member
from tests.photo import photographed_card, printed_card

SECRET = CardSecret(bytes(range(32)))
TOKEN = make_token(SECRET, member_number="QZ001", serial=12)
SEEDS = range(8)


def png(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def refusal(data) -> CornerError:
    with pytest.raises(CornerError) as caught:
        decode_qr(data)
    assert caught.value.code == "image_invalid"
    return caught.value


@pytest.mark.parametrize("seed", SEEDS)
def test_photographed_card_decodes_to_exactly_the_token(seed):
    assert decode_qr(photographed_card(TOKEN, seed=seed)) == [TOKEN]


def sides(code) -> tuple[float, float, float, float]:
    """Lengths of the top, bottom, left and right edges of a found code, in pixels."""
    corners = code.position
    top_left, top_right = corners.top_left, corners.top_right
    bottom_left, bottom_right = corners.bottom_left, corners.bottom_right

    def length(a, b) -> float:
        return math.dist((a.x, a.y), (b.x, b.y))

    return (
        length(top_left, top_right),
        length(bottom_left, bottom_right),
        length(top_left, bottom_left),
        length(top_right, bottom_right),
    )


def test_the_photos_are_really_distorted():
    """Not a clean render: turned up to ~20 degrees, seen at an angle, and blurred and noisy."""
    turns, skews = [], []
    for seed in SEEDS:
        photo = Image.open(io.BytesIO(photographed_card(TOKEN, seed=seed))).convert("L")
        (code,) = zxingcpp.read_barcodes(photo, formats=zxingcpp.BarcodeFormat.QRCode)
        top, bottom, left, right = sides(code)
        turns.append(abs(code.orientation))
        skews.append(max(top / bottom, bottom / top, left / right, right / left))
        # a clean black-and-white render has two grey levels; a photo has a whole range of them
        assert len(photo.getcolors(256)) > 200
    assert max(turns) >= 15 and min(turns) < 5, turns
    # perspective: opposite edges of the code differ in length (a rotation alone keeps them equal)
    assert max(skews) > 1.05, skews
    assert sum(skew > 1.02 for skew in skews) >= len(skews) // 2, skews


def test_photo_of_a_members_real_card_reads_back_as_that_member(instance, db):
    """The whole path: the member's card token, printed and photographed, decoded and checked."""
    make_member(db, number="QZ007", name="李四")
    token = card_token(instance, db, "QZ007")
    (text,) = decode_qr(photographed_card(token, seed=3))
    credential = read_token(instance.secret(), text)
    assert credential.member_number == "QZ007"
    assert text == token


def test_the_same_photo_as_png_decodes_too():
    photo = Image.open(io.BytesIO(photographed_card(TOKEN, seed=5)))
    assert decode_qr(png(photo)) == [TOKEN]


def test_phone_photo_stored_sideways_with_an_exif_orientation_decodes():
    assert decode_qr(sideways_with_exif(photographed_card(TOKEN, seed=2))) == [TOKEN]


def test_picture_with_no_code_gives_nothing():
    assert decode_qr(photographed_card(TOKEN, seed=1, with_code=False)) == []
    assert decode_qr(png(Image.new("L", (640, 480), 255))) == []


def test_two_cards_give_both_tokens_and_one_card_twice_gives_its_token_once():
    other = make_token(SECRET, member_number="QZ002", serial=13)
    table = Image.new("RGB", (1400, 900), (120, 110, 100))
    table.paste(printed_card(TOKEN).resize((640, 404)), (40, 60))
    table.paste(printed_card(other).resize((640, 404)), (720, 420))
    assert sorted(decode_qr(png(table))) == sorted([TOKEN, other])

    table.paste(printed_card(TOKEN).resize((640, 404)), (720, 420))
    assert decode_qr(png(table)) == [TOKEN]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello",
        b"\xff\xd8\xff" + bytes(100),  # says JPEG, is not
        b"\x89PNG\r\n\x1a\n" + bytes(100),  # says PNG, is not
        random.Random(7).randbytes(5000),
    ],
    ids=["empty", "text", "fake-jpeg", "fake-png", "random"],
)
def test_garbage_is_refused(data):
    assert refusal(data).details == {"reason": "format"}


def test_a_truncated_photo_is_refused():
    photo = photographed_card(TOKEN, seed=0)
    assert refusal(photo[: len(photo) // 2]).details == {"reason": "format"}


def test_pictures_in_other_formats_are_refused():
    """The camera page sends JPEG (and a PNG is fine); nothing else reaches Pillow's decoders."""
    buffer = io.BytesIO()
    Image.open(io.BytesIO(qr_png(TOKEN))).save(buffer, format="GIF")
    assert refusal(buffer.getvalue()).details == {"reason": "format"}


def test_not_bytes_is_refused():
    assert refusal(TOKEN).details == {"reason": "format"}


def test_a_body_over_two_megabytes_is_refused_before_it_is_read():
    # a real picture, well under the pixel limit: only its size in bytes is wrong
    noise = Image.frombytes("RGB", (1000, 800), random.Random(1).randbytes(1000 * 800 * 3))
    data = png(noise)
    assert len(data) > MAX_BYTES
    assert refusal(data).details == {"reason": "size"}


def bitonal_png(width: int, height: int) -> bytes:
    """A complete, valid 1-bit PNG of the given size: all black, so it packs very small."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    row = bytes(1 + (width + 7) // 8)  # filter byte 0, then the bits
    packer = zlib.compressobj(9)
    rows_per_piece = max(1, (1 << 20) // len(row))
    pieces = []
    for start in range(0, height, rows_per_piece):
        pieces.append(packer.compress(row * min(rows_per_piece, height - start)))
    pieces.append(packer.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", b"".join(pieces))
        + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_refused_without_unpacking_it():
    # 144 megapixels in some 20 KB; Pillow itself would only warn about this size (it refuses
    # from ~179 MP on), and the suite turns warnings into errors: the refusal comes first
    bomb = bitonal_png(12_000, 12_000)
    assert len(bomb) < 100_000
    assert refusal(bomb).details == {"reason": "pixels"}


def test_the_pixel_limit_is_twenty_megapixels():
    assert MAX_PIXELS == 5000 * 4000
    assert decode_qr(bitonal_png(5000, 4000)) == []
    assert refusal(bitonal_png(5000, 4001)).details == {"reason": "pixels"}


def sideways_with_exif(photo: bytes) -> bytes:
    """The photo as a phone stores it: pixels as the sensor saw them, and how to turn them."""
    stored = Image.open(io.BytesIO(photo)).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: "turn 90 degrees clockwise to show"
    buffer = io.BytesIO()
    stored.save(buffer, format="JPEG", quality=85, exif=exif)
    return buffer.getvalue()


_SMALL_PHOTO = photographed_card(TOKEN, seed=1, size=(400, 300), fill=0.9)
_SMALL_PICTURES = [
    _SMALL_PHOTO,
    png(Image.open(io.BytesIO(_SMALL_PHOTO))),
    sideways_with_exif(_SMALL_PHOTO),
]


@settings(
    max_examples=150,
    derandomize=True,  # the same examples every run: the suite stays deterministic
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    picture=st.sampled_from(_SMALL_PICTURES),
    damage=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=8),
    keep=st.floats(0.05, 1),
)
def test_a_damaged_upload_is_read_or_refused_never_an_unexpected_error(picture, damage, keep):
    """Bytes changed anywhere (often in the headers) and files cut short: Pillow raises many kinds
    of exceptions for those; every one must come out as image_invalid, never as a server error."""
    data = bytearray(picture)
    for where, value in damage:
        # half of the changes land in the first 600 bytes, where the headers and EXIF are
        span = 600 if value % 2 else len(data)
        data[int(where * min(span, len(data)))] = value
    data = bytes(data[: max(1, int(len(data) * keep))])
    try:
        texts = decode_qr(data)
    except CornerError as error:
        assert error.code == "image_invalid"
    else:
        assert all(isinstance(text, str) for text in texts)
