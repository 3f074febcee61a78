"""Password hashes: self-describing scrypt, the full cost outside tests, a cheap one inside."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from points.passwords import (
    PRODUCTION_COST,
    TEST_COST,
    hash_cost,
    hash_password,
    set_hash_cost,
    verify_password,
)

# What a process gets without the test suite's setting: asked in a fresh interpreter, which
# never imports tests/conftest.py. The environment is the test run's own, plus a variable a
# careless deployment might set, to show that no environment variable lowers the cost.
FRESH_PROCESS = """
import json
from points.passwords import hash_cost, hash_password
cost = hash_cost()
print(json.dumps({"cost": [cost.n, cost.r, cost.p], "hash": hash_password("secret password")}))
"""


def test_a_process_without_the_test_setting_hashes_at_the_full_cost():
    environment = {**os.environ, "CORNER_TEST_FAST_HASH": "1"}
    result = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        timeout=60,
    )
    answer = json.loads(result.stdout)
    assert answer["cost"] == [2**15, 8, 1]
    assert answer["hash"].startswith("scrypt$32768$8$1$")
    assert verify_password("secret password", answer["hash"])
    # and the production constant itself is not lowered: 2**15 x 8 is the floor
    assert PRODUCTION_COST.n >= 2**15 and PRODUCTION_COST.r >= 8 and PRODUCTION_COST.p >= 1


def test_the_test_suite_hashes_at_the_test_cost_and_every_hash_records_its_own():
    assert hash_cost() == TEST_COST != PRODUCTION_COST
    cheap = hash_password("secret password")
    assert cheap.startswith(f"scrypt${TEST_COST.n}${TEST_COST.r}${TEST_COST.p}$")
    set_hash_cost(None)
    try:
        assert hash_cost() == PRODUCTION_COST
        full = hash_password("secret password")
        assert full.startswith("scrypt$32768$8$1$")
        assert verify_password("secret password", cheap)  # verified at the cost it records
    finally:
        set_hash_cost(TEST_COST)
    assert verify_password("secret password", full)
    assert not verify_password("secret passwore", full)


def test_password_hash_is_salted_self_describing_scrypt():
    first, second = hash_password("secret password"), hash_password("secret password")
    assert first != second  # a random salt each time
    assert verify_password("secret password", first)
    assert not verify_password("secret passwore", first)
    odd = hash_password("secret password", n=2**10, r=4, p=2)
    assert odd.startswith("scrypt$1024$4$2$") and verify_password("secret password", odd)


@pytest.mark.parametrize(
    "stored",
    ["", "md5$abc", "scrypt$16$8$1$!!$!!", "scrypt$15$8$1$AAAA$AAAA", "scrypt$x$8$1$AAAA$AAAA"],
)
def test_a_stored_hash_that_does_not_parse_verifies_nothing(stored):
    assert not verify_password("secret password", stored)
