"""What the intake checks of issue 16 cost per submission, beside opening and verifying it.

    .venv/bin/python bench/intake_checks.py [--count 5000]

For one school's report of catalogue v1, signed and sealed: a plain protobuf parse, the
canonical parse that replaces it (protos/validation.py ``parse_canonical``), the whole open
(unseal, canonical envelope, signature, canonical report), the contract's value checks
(``check_values``, with the bounds) and the ρ a table spends by the policy
(aggregator/intake/privacy_policy.py); and for the other signed messages a receiver reads, a
query credential and a member request, the signature then the canonical parse
(privacy/credential.py ``verify``, privacy/memberauth.py ``open_request``). Microseconds per
message, one core.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from nacl.public import PrivateKey
from nacl.signing import SigningKey

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aggregator.intake.privacy_policy import release_rho  # noqa: E402
from privacy import credential  # noqa: E402
from privacy.envelope import open_sealed, seal, sign_report, verify_signed  # noqa: E402
from privacy.memberauth import open_request, sign_request  # noqa: E402
from protos.members_pb2 import MemberRequest  # noqa: E402
from protos.report_pb2 import Report  # noqa: E402
from protos.validation import check_values, parse_canonical  # noqa: E402
from tests.federation import make_report  # noqa: E402


def per_call(count: int, work: Callable[[], object]) -> float:
    start = time.perf_counter()
    for _ in range(count):
        work()
    return (time.perf_counter() - start) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5_000)
    args = parser.parse_args()
    report = make_report()
    data = report.SerializeToString()
    key = PrivateKey.generate()
    signer = SigningKey.generate()
    sealed = seal(sign_report(data, signer), key.public_key)
    token = credential.issue(signer, "2161010001", "school", "2161010001", "aid-office",
                             timedelta(days=1), datetime(2026, 1, 1, tzinfo=UTC))
    asked = sign_request(MemberRequest(member_id="2161010001", aggregator_id="610102",
                                       unix_ms=1767225600000), signer)
    rows = [
        ("Report.FromString (plain parse)", lambda: Report.FromString(data)),
        ("parse_canonical(Report)", lambda: parse_canonical(Report, data, "report")),
        ("open: unseal, canonical, verify, canonical", lambda: verify_signed(open_sealed(sealed, key))),
        ("check_values (catalogue, bounds)", lambda: check_values(report)),
        ("release_rho (policy)", lambda: release_rho(report)),
        ("credential: signature, canonical, times", lambda: credential.verify(
            token, datetime(2026, 1, 1, 12, tzinfo=UTC))),
        ("member request: canonical, signature, canonical", lambda: open_request(asked)),
    ]
    print(f"guanai intake checks: one report of catalogue v1 ({len(data)} bytes), "
          f"{args.count} times each, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    for label, work in rows:
        print(f"{label:<46}{per_call(args.count, work):>9.1f} µs")


if __name__ == "__main__":
    main()
