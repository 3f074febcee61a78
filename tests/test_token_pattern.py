"""TOKEN_PATTERN, the card token format as the check-in page reads it: the same as read_token's."""

import re

from hypothesis import given
from hypothesis import strategies as st

from cards.token import _TOKEN, TOKEN_PATTERN, CardSecret, make_token

secrets = st.binary(min_size=1, max_size=64).map(CardSecret)
member_numbers = st.from_regex(r"[A-Z0-9-]{1,20}", fullmatch=True)
serials = st.integers(min_value=1, max_value=10**12 - 1)


def member_in(text: str) -> str | None:
    """What the page shows of a scan: the member number when it is a token (new RegExp, exec)."""
    match = re.fullmatch(TOKEN_PATTERN, text)
    return match.group(1) if match else None


@given(secrets, member_numbers, serials)
def test_every_token_made_names_its_member_number(secret, number, serial):
    token = make_token(secret, member_number=number, serial=serial)
    assert member_in(token) == number


def test_a_real_looking_token():
    token = make_token(CardSecret(b"k" * 32), member_number="QZ-2026-0001", serial=12)
    assert member_in(token) == "QZ-2026-0001"


def test_what_is_not_a_token_names_nobody():
    token = make_token(CardSecret(b"k" * 32), member_number="QZ001", serial=3)
    body, signature = token.rsplit(".", 1)
    for text in [
        "",
        "QZ001",
        "EC1.GARBAGE.NOT-A-REAL-CARD",
        "EC1.x.QZ001.3.y",  # five parts, but not the format
        token.replace("EC1.", "EC2.", 1),  # another version
        token.lower(),  # the page upper-cases first, as read_token does
        token[:-1],
        token + "A",
        f"{body}.{signature[:8]}",
        token.replace(".3.", ".0.", 1),
        " " + token,
        token + "\n",
        "x" + token,
        token + "." + signature,
    ]:
        assert member_in(text) is None, text


@given(st.from_regex(_TOKEN, fullmatch=True))
def test_it_reads_what_read_token_reads_of_this_version(text):
    version, _instance, number, _serial, _signature = _TOKEN.fullmatch(text).groups()
    assert member_in(text) == (number if f"EC{version}" == "EC1" else None)


@given(st.from_regex(TOKEN_PATTERN, fullmatch=True))
def test_it_takes_nothing_read_token_refuses_for_its_format(text):
    assert _TOKEN.fullmatch(text).group(3) == member_in(text)


def test_it_means_the_same_to_javascript():
    # one group, anchored, and nothing whose meaning differs between Python and JavaScript
    # (\d, \w, \s take Unicode in Python; (?P...), \A, \Z do not exist in JavaScript)
    assert re.compile(TOKEN_PATTERN).groups == 1
    assert TOKEN_PATTERN.startswith("^") and TOKEN_PATTERN.endswith("$")
    for construct in ("(?", "\\d", "\\w", "\\s", "\\A", "\\Z", "\\b"):
        assert construct not in TOKEN_PATTERN
