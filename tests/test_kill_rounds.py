"""Crash safety stays proven: kill -9 of a real ``corner serve`` mid-stream, a few rounds.

Redemptions (kiosk API, with request ids) and check-ins (check-in API, organisers' devices) run
from several threads; the server is killed with SIGKILL at a random moment; a new server on the
same file answers every cut-off request sent again with its request id, once. After every round
``corner check`` and ``corner verify`` pass; at the end every acknowledged answer is in the
ledgers exactly once. The harness is tests/crash_support.py; bench/killrounds.py runs it for
a hundred rounds.
"""

from __future__ import annotations

import random

import pytest

from tests.crash_support import Tally, count_acknowledged, one_round, prepare

pytestmark = pytest.mark.server

ROUNDS = 3


def test_kill_9_mid_stream_loses_and_doubles_nothing(instance):
    corner = prepare(instance.path, redeemers=4, checkin_members=40)
    tally, rng = Tally(), random.Random(11)
    for number in range(1, ROUNDS + 1):
        one_round(corner, tally, number, devices=2, rng=rng)
    count_acknowledged(corner, tally)

    assert tally.problems == [], "\n".join(tally.problems[:10])
    assert tally.rounds == ROUNDS
    assert tally.acknowledged > 0
    assert tally.unanswered > 0  # the kills cut requests off mid-stream (then sent again)
    assert tally.retried_same > 0  # answered requests repeated after a restart: the same answer
    assert (tally.found, tally.lost, tally.doubled) == (tally.acknowledged, 0, 0), tally.line()
    kinds = {acked.kind for acked in corner.acked}
    assert kinds == {"redeem", "checkin"}  # both kinds of write were under way
