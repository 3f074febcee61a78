"""Kill -9 rounds: a real ``corner serve`` killed mid-stream, again and again; nothing lost.

    .venv/bin/python bench/killrounds.py [--rounds 100] [--redeemers 4] [--devices 2]

The same harness as tests/test_kill_rounds.py (tests/crash_support.py), for as many rounds as
asked: each round starts a server on one instance, runs redemptions (kiosk API, scan + redeem
with request ids) from ``--redeemers`` threads and check-ins from ``--devices`` organisers'
devices, kills the server with SIGKILL after 0.3-1.2 s, starts it again, sends every cut-off
request again with its request id, repeats a few answered ones, and runs ``corner check`` and
``corner verify``. At the end it prints rows acknowledged / found / lost / doubled; the exit
status is non-zero when anything was lost or doubled or any round found a problem.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.crash_support import Tally, count_acknowledged, one_round, prepare  # noqa: E402
from web.instance import init_instance  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--redeemers", type=int, default=4)
    parser.add_argument("--devices", type=int, default=2)
    parser.add_argument("--checkin-members", type=int, default=60)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", action="store_true", help="Keep the instance folder.")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-killrounds-"))
    started = time.perf_counter()
    try:
        instance, _created = init_instance(folder / "instance")
        corner = prepare(
            instance.path, redeemers=options.redeemers, checkin_members=options.checkin_members
        )
        tally, rng = Tally(), random.Random(options.seed)
        for number in range(1, options.rounds + 1):
            one_round(corner, tally, number, devices=options.devices, rng=rng)
            print(
                f"round {number:3d}: answered so far {len(corner.acked)},"
                f" cut off so far {tally.unanswered}, problems {len(tally.problems)},"
                f" {time.perf_counter() - started:.0f} s",
                flush=True,
            )
        count_acknowledged(corner, tally)
        kinds = {"redeem": 0, "checkin": 0}
        for acked in {a.request_id: a for a in corner.acked}.values():
            kinds[acked.kind] += 1
        print(tally.line())
        print(
            f"acknowledged redemptions {kinds['redeem']}, check-ins {kinds['checkin']};"
            f" refusals {tally.refused or 'none'}; {time.perf_counter() - started:.0f} s in all"
        )
        for problem in tally.problems[:20]:
            print("PROBLEM:", problem)
        return 1 if tally.problems or tally.lost or tally.doubled else 0
    finally:
        if options.keep:
            print(f"instance kept in {folder / 'instance'}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
