"""Write the frozen known-answer vectors of guanai's own formats to ``tests/vectors/guanai-v1/``.

    .venv/bin/python -m tests.vectors.generate        (or: .venv/bin/python tests/vectors/generate.py)

Why this exists: the RFC 6962 vectors pin the Merkle hashing, but nothing pinned guanai's own
byte formats (docs/formats.md) — the signed report, the sealed envelope, the receipt, the
checkpoint and the inspector's bundle. ``tests/test_vectors.py`` reads the files written here,
verifies each known-good vector with the project's own functions, checks that every must-fail
case is refused with its typed error, and derives every deterministic file again from
``inputs.json`` with the current code and compares it byte for byte. So a format change that
nobody meant fails a test; one that is meant needs this generator run again, and the diff of
the frozen files is the review of the change.

Everything is fixed: every key is derived from a public label (SHA-256 of ``guanai test
vector key - never use: <label>``), so these are TEST-ONLY keys that anyone can recompute and
nothing may ever trust; times and report values are constants. The one random artefact is the
sealed envelope (a sealed box uses a fresh ephemeral key), so its bytes are frozen as they
came out and the test checks that they open, with the recipient's test key, to the frozen
signed report.

The deterministic files come from ``derive(inputs)``, which runs the real paths: reports are
signed with ``privacy.envelope``, sealed and opened by the aggregator's intake, accepted in two
group commits by its accept path (receipts, checkpoints, the log), and exported with
``aggregator.log.export``. Run this only when a format changes on purpose.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from google.protobuf import json_format
from nacl.public import PrivateKey
from nacl.signing import SigningKey

if __package__ in (None, ""):  # run as a path: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from aggregator.intake.accept import accept  # noqa: E402
from aggregator.intake.opening import open_submission  # noqa: E402
from aggregator.keys.own_identity import Settings  # noqa: E402
from aggregator.log.export import export_bundle  # noqa: E402
from aggregator.log.transparency import TransparencyLog  # noqa: E402
from aggregator.store.sqlite import Member, MemberKey, Store  # noqa: E402
from privacy.checkpoint import SIGNATURE_PREFIX, note_key_hash, parse_checkpoint  # noqa: E402
from privacy.envelope import (  # noqa: E402
    RECEIPT_CONTEXT,
    REPORT_CONTEXT,
    parse_signed,
    seal,
    sign_report,
    sign_with_context,
)
from privacy.identity import Identity  # noqa: E402
from privacy.keys import PublicKeys, key_id  # noqa: E402
from protos.aggregator_pb2 import Receipt, ReceiptBody, Submission  # noqa: E402
from protos.deadlines import local_date  # noqa: E402
from protos.envelope_pb2 import SignedReport  # noqa: E402
from protos.periods import Period  # noqa: E402
from protos.report_pb2 import Report  # noqa: E402

FOLDER = Path(__file__).resolve().parent / "guanai-v1"
KEY_LABEL = "guanai test vector key - never use: "
REGION, PARENT = "610102", "610000"
SCHOOLS = ("2161010001", "3161010002", "2161010003")
STRANGER = "stranger"  # a key nobody enrolled: the "wrong key" of the must-fail cases
# Bytes 2.. of a serialized Report are its 16-byte report_id (tag 0a, length 10): flipping a
# bit there keeps the Report parseable, so what must catch it is the signature.
REPORT_ID_BYTE = 2


def test_only_seed(label: str) -> bytes:
    """The 32-byte seed of the TEST-ONLY key named ``label``: public, never to be trusted."""
    return hashlib.sha256((KEY_LABEL + label).encode("utf-8")).digest()


def make_inputs() -> dict:
    """The fixed inputs every vector is made from (written as ``inputs.json``)."""
    from tests.federation import make_report  # a report that fits catalogue v1

    reports = {}
    for n, school in enumerate(SCHOOLS):
        report = make_report(school, region=REGION, recipient=REGION, base=3 + n,
                             report_id=test_only_seed(f"report id {school}")[:16],
                             created_unix_ms=1750291200000 + n * 60_000)
        reports[school] = json_format.MessageToDict(report, preserving_proto_field_name=True)
    labels = {f"school {s} signing": s for s in SCHOOLS}
    return {
        "about": "Inputs of guanai's frozen known-answer vectors (tests/vectors/generate.py). "
                 "Every key here is a TEST-ONLY key: its seed is SHA-256 of "
                 f"'{KEY_LABEL}<label>', public to anyone; never enrol or trust it.",
        "test_only_keys": {label: test_only_seed(label).hex() for label in [
            f"county {REGION} signing", f"county {REGION} sealing", *labels,
            f"{STRANGER} signing", f"{STRANGER} sealing"]},
        "aggregator": {"region": REGION, "level": "county", "parent_region": PARENT},
        "period": "2025-H1",
        "enrolled_at": "2025-03-01T00:00:00.000+00:00",
        "group_commits": [
            {"accepted_at": "2025-06-20T02:00:00.000+00:00", "schools": list(SCHOOLS[:2])},
            {"accepted_at": "2025-06-25T02:00:00.000+00:00", "schools": list(SCHOOLS[2:])},
        ],
        "exported_at": "2025-07-20T02:00:00.000+00:00",
        "reports": reports,
    }


class Keys:
    """The TEST-ONLY keys of ``inputs.json``, by role."""

    def __init__(self, inputs: dict) -> None:
        seeds = {label: bytes.fromhex(h) for label, h in inputs["test_only_keys"].items()}
        region = inputs["aggregator"]["region"]
        self.county = SigningKey(seeds[f"county {region} signing"])
        self.county_sealing = PrivateKey(seeds[f"county {region} sealing"])
        self.schools = {school: SigningKey(seeds[f"school {school} signing"])
                        for school in inputs["reports"]}
        self.stranger = SigningKey(seeds[f"{STRANGER} signing"])
        self.stranger_sealing = PrivateKey(seeds[f"{STRANGER} sealing"])


def report_bytes(inputs: dict, school: str) -> bytes:
    """The exact Report bytes a school signs, from its fields in ``inputs.json``."""
    return json_format.ParseDict(inputs["reports"][school], Report()).SerializeToString()


def flip_bit(data: bytes, index: int, bit: int = 0) -> bytes:
    """``data`` with bit ``bit`` of byte ``index`` inverted."""
    return data[:index] + bytes([data[index] ^ (1 << bit)]) + data[index + 1 :]


def wrap(report: bytes, signature: bytes, signer_key: bytes) -> bytes:
    """A SignedReport of exactly these three parts, whether or not they belong together."""
    return SignedReport(report=report, signature=signature,
                        signer_key=signer_key).SerializeToString()


def case(title: str, why: str, error: str, **data: object) -> dict:
    """One must-fail case: what is wrong, the typed error that must refuse it, and its data."""
    return {"case": title, "why": why, "error": error, **data}


def signed_report_vector(inputs: dict, keys: Keys) -> dict:
    """The first school's signed report, and its must-fail cases (docs/formats.md §2–3)."""
    school = next(iter(inputs["reports"]))
    key = keys.schools[school]
    report = report_bytes(inputs, school)
    signed = sign_report(report, key)
    envelope, _ = parse_signed(signed)
    public, stranger = bytes(key.verify_key), bytes(keys.stranger.verify_key)
    return {
        "about": "A school's signed report (docs/formats.md §2–3): SignedReport{report, "
                 "Ed25519 over 'guanai.v1.report\\0' || report, signer key}. Check with "
                 "privacy.envelope.verify_signed.",
        "school": school,
        "signer_key_hex": public.hex(),
        "signer_key_id": key_id(public),
        "message_prefix_hex": REPORT_CONTEXT.hex(),
        "report_hex": report.hex(),
        "signature_hex": envelope.signature.hex(),
        "signed_report_hex": signed.hex(),
        "must_fail": [
            case("flipped bit in the report", "one bit of report_id changed after signing",
                 "BadSignature", signed_report_hex=wrap(
                     flip_bit(report, REPORT_ID_BYTE), envelope.signature, public).hex()),
            case("flipped bit in the signature", "one bit of the signature changed",
                 "BadSignature", signed_report_hex=wrap(
                     report, flip_bit(envelope.signature, 0), public).hex()),
            case("wrong context: receipt", "signed over 'guanai.v1.receipt\\0' || report",
                 "BadSignature", signed_report_hex=wrap(
                     report, sign_with_context(RECEIPT_CONTEXT, report, key), public).hex()),
            case("wrong context: none", "signed over the bare report bytes", "BadSignature",
                 signed_report_hex=wrap(report, key.sign(report).signature, public).hex()),
            case("wrong key: stated", "signed by the school, stating a stranger's key",
                 "BadSignature", signed_report_hex=wrap(
                     report, envelope.signature, stranger).hex()),
            case("wrong key: signer", "signed by a stranger, stating the school's key",
                 "BadSignature", signed_report_hex=wrap(
                     report, sign_with_context(REPORT_CONTEXT, report, keys.stranger),
                     public).hex()),
            case("truncated", "the last byte of the SignedReport cut off", "Malformed",
                 signed_report_hex=signed[:-1].hex()),
            case("truncated signature", "a 63-byte signature", "Malformed",
                 signed_report_hex=wrap(report, envelope.signature[:-1], public).hex()),
        ],
    }


def sealed_envelope_vector(inputs: dict, keys: Keys, signed_report: dict) -> dict:
    """The sealed envelope: random when made, so this is frozen and never derived again."""
    signed = bytes.fromhex(signed_report["signed_report_hex"])
    recipient = keys.county_sealing.public_key
    sealed = seal(signed, recipient)
    wrong_context = bytes.fromhex(next(c for c in signed_report["must_fail"]
                                       if c["case"] == "wrong context: receipt")
                                  ["signed_report_hex"])
    own, stranger = keys.county_sealing, keys.stranger_sealing
    return {
        "about": "A signed report sealed to the county (docs/formats.md §3): "
                 "ephemeral_pk (32) || crypto_box(signed, nonce = BLAKE2b-192(ephemeral_pk || "
                 "recipient_pk)). Sealing is randomised, so these bytes are frozen, not derived: "
                 "privacy.envelope.open_and_verify with the recipient's TEST-ONLY secret key "
                 "must give opens_to_hex.",
        "recipient_secret_key_hex": bytes(own).hex(),
        "recipient_public_key_hex": bytes(recipient).hex(),
        "sealed_hex": sealed.hex(),
        "opens_to_hex": signed.hex(),
        "must_fail": [
            case("flipped bit in the ciphertext", "one bit of the box changed", "CannotOpen",
                 sealed_hex=flip_bit(sealed, len(sealed) - 1).hex(),
                 secret_key_hex=bytes(own).hex()),
            case("flipped bit in the ephemeral key", "one bit of the ephemeral public key",
                 "CannotOpen", sealed_hex=flip_bit(sealed, 0).hex(),
                 secret_key_hex=bytes(own).hex()),
            case("truncated", "the last byte cut off", "CannotOpen",
                 sealed_hex=sealed[:-1].hex(), secret_key_hex=bytes(own).hex()),
            case("truncated below the overhead", "47 bytes: shorter than any sealed box",
                 "CannotOpen", sealed_hex=sealed[:47].hex(), secret_key_hex=bytes(own).hex()),
            case("wrong key", "opened with another aggregator's sealing key", "CannotOpen",
                 sealed_hex=sealed.hex(), secret_key_hex=bytes(stranger).hex()),
            case("wrong context", "opens, but the report is signed with the receipt context",
                 "BadSignature", sealed_hex=seal(wrong_context, recipient).hex(),
                 secret_key_hex=bytes(own).hex()),
            case("not a signed report", "opens to bytes that do not parse as a SignedReport",
                 "Malformed", sealed_hex=seal(b"\x0a\x03abc\x12", recipient).hex(),
                 secret_key_hex=bytes(own).hex()),
        ],
    }


def run_county(inputs: dict, keys: Keys, folder: Path) -> tuple[dict[str, Receipt], Path]:
    """The county accepts the schools' sealed reports in its group commits, then exports.

    Returns each school's receipt and the bundle's folder.
    """
    agg = inputs["aggregator"]
    settings = Settings(agg["region"], agg["level"], agg["parent_region"], keys.county,
                        keys.county_sealing)
    store = Store(folder / "county.db", create=True)
    try:
        with store.transaction():
            for school, key in keys.schools.items():
                public = bytes(key.verify_key)
                store.add_member(Member(school, "school", agg["region"], inputs["enrolled_at"]))
                store.add_key(MemberKey(school, key_id(public), public, inputs["enrolled_at"],
                                        None))
        log = TransparencyLog(settings.origin, settings.signing_key, store)
        receipts: dict[str, Receipt] = {}
        for group in inputs["group_commits"]:
            now = datetime.fromisoformat(group["accepted_at"])
            opened = [open_submission(
                Submission(sealed=seal(sign_report(report_bytes(inputs, s), keys.schools[s]),
                                       settings.sealing_key.public_key)),
                settings.sealing_keys, settings.region, local_date(now))
                for s in group["schools"]]
            outcomes = accept(store, log, settings, opened, now)
            for school, outcome in zip(group["schools"], outcomes, strict=True):
                if not isinstance(outcome, Receipt):
                    raise RuntimeError(f"the county refused {school}: {outcome}")
                receipts[school] = outcome
        out = folder / "bundle"
        export_bundle(store, settings, Period.parse(inputs["period"]), out,
                      datetime.fromisoformat(inputs["exported_at"]))
    finally:
        store.close()
    return receipts, out


def receipt_vector(inputs: dict, keys: Keys, receipt: Receipt, school: str,
                   other: str) -> dict:
    """``school``'s receipt as the county signed it, and its must-fail cases (§7)."""
    signed = sign_report(report_bytes(inputs, school), keys.schools[school])
    other_signed = sign_report(report_bytes(inputs, other), keys.schools[other])
    county = bytes(keys.county.verify_key)

    def rewrapped(body: bytes, signature: bytes) -> str:
        return Receipt(body=body, signature=signature).SerializeToString().hex()

    data = receipt.SerializeToString()
    return {
        "about": "The county's receipt for the first school's report (docs/formats.md §7): "
                 "Receipt{body, Ed25519 over 'guanai.v1.receipt\\0' || body}. Check with "
                 "privacy.receipt.verify_receipt(receipt, signed report, aggregator key). A "
                 "must-fail case gives what differs from the good one.",
        "receipt_hex": data.hex(),
        "body_decoded": json_format.MessageToDict(ReceiptBody.FromString(receipt.body),
                                                  preserving_proto_field_name=True),
        "signed_report_hex": signed.hex(),
        "aggregator_key_hex": county.hex(),
        "must_fail": [
            case("flipped bit in the body", "one bit of the signed body changed",
                 "ReceiptError",
                 receipt_hex=rewrapped(flip_bit(receipt.body, 5), receipt.signature)),
            case("flipped bit in the signature", "one bit of the signature changed",
                 "ReceiptError",
                 receipt_hex=rewrapped(receipt.body, flip_bit(receipt.signature, 0))),
            case("wrong context: report", "the body signed with 'guanai.v1.report\\0'",
                 "ReceiptError", receipt_hex=rewrapped(
                     receipt.body, sign_with_context(REPORT_CONTEXT, receipt.body, keys.county))),
            case("truncated body", "the body's last byte cut off, signature kept",
                 "ReceiptError", receipt_hex=rewrapped(receipt.body[:-1], receipt.signature)),
            case("truncated", "the serialized Receipt's last byte cut off", "DecodeError",
                 receipt_hex=data[:-1].hex()),
            case("wrong key", "checked with a stranger's key", "ReceiptError",
                 aggregator_key_hex=bytes(keys.stranger.verify_key).hex()),
            case("other bytes", "a valid receipt held against another school's report",
                 "ReceiptError", signed_report_hex=other_signed.hex()),
        ],
    }


def checkpoint_vector(inputs: dict, keys: Keys, note: str) -> dict:
    """The county log's head checkpoint ``note``, and its must-fail cases (§5)."""
    origin = f"guanai/{inputs['aggregator']['region']}"
    checkpoint = parse_checkpoint(note)
    county = bytes(keys.county.verify_key)
    signature = checkpoint.signatures[0].signature
    key_hash = note_key_hash(origin, county)

    def with_signature(body: str, sig: bytes) -> str:
        blob = base64.b64encode(key_hash + sig).decode("ascii")
        return f"{body}\n{SIGNATURE_PREFIX}{origin} {blob}\n"

    root = base64.b64encode(checkpoint.root).decode("ascii")
    flipped_root = base64.b64encode(flip_bit(checkpoint.root, 0)).decode("ascii")
    return {
        "about": "The county log's head checkpoint (docs/formats.md §5), a C2SP signed note. "
                 "Check with privacy.checkpoint.verify_checkpoint(note, name, key_hex). A "
                 "must-fail case gives what differs from the good one.",
        "note": note,
        "name": origin,
        "key_hex": county.hex(),
        "key_hash_hex": key_hash.hex(),
        "tree_size": checkpoint.size,
        "root_hex": checkpoint.root.hex(),
        "timestamp_ms": checkpoint.timestamp_ms,
        "must_fail": [
            case("flipped bit in the root", "one bit of the root changed, signature kept",
                 "CheckpointError", note=note.replace(root, flipped_root)),
            case("flipped bit in the signature", "one bit of the Ed25519 signature changed",
                 "CheckpointError", note=with_signature(checkpoint.body,
                                                        flip_bit(signature, 0))),
            case("wrong context", "signed over 'guanai.v1.report\\0' || body instead of the "
                 "body alone", "CheckpointError", note=with_signature(
                     checkpoint.body, sign_with_context(
                         REPORT_CONTEXT, checkpoint.body.encode("utf-8"), keys.county))),
            case("wrong name", "checked as the log of another county", "CheckpointError",
                 name="guanai/610103"),
            case("truncated", "the signature line cut off", "CheckpointError",
                 note=note[: note.rindex("\n\n") + 2]),
            case("truncated signature", "the signature line's last 8 characters cut off",
                 "CheckpointError", note=note[:-9] + "\n"),
            case("wrong key", "checked with a stranger's key", "CheckpointError",
                 key_hex=bytes(keys.stranger.verify_key).hex()),
        ],
    }


def trusted_identities(inputs: dict, keys: Keys, county_key: SigningKey) -> str:
    """The exported identities an inspector got by another channel, as one JSON list."""
    agg = inputs["aggregator"]
    identities = [Identity(id=agg["region"], kind="aggregator", region=agg["region"],
                           level=agg["level"], keys=PublicKeys.of(county_key,
                                                                  keys.county_sealing))]
    identities += [Identity(id=s, kind="school", region=agg["region"],
                            keys=PublicKeys.of(k)) for s, k in keys.schools.items()]
    return json_text([json.loads(i.to_json()) for i in identities])


def bundle_vector(inputs: dict, keys: Keys, bundle: Path, signed_report: dict) -> dict:
    """What the inspector must say of the exported ``bundle`` and of damaged copies (§9)."""
    first = sorted((bundle / "submissions").iterdir())[0]
    at = first.read_bytes().index(parse_signed(first.read_bytes())[0].report) + REPORT_ID_BYTE
    wrong_context = next(c for c in signed_report["must_fail"]
                         if c["case"] == "wrong context: receipt")["signed_report_hex"]
    log_size = len((bundle / "log.json").read_bytes())
    head = max(int(p.stem) for p in (bundle / "checkpoints").iterdir())
    head_note = (bundle / "checkpoints" / f"{head}.txt").read_bytes()
    return {
        "about": "A county's bundle of 2025-H1 (docs/formats.md §9) with three school leaves "
                 "in two group commits, in bundle/. inspector.verify.verify(['bundle'], "
                 "keys=['trusted.json']) must pass with no finding; each must-fail case is "
                 "applied to a copy and must fail exactly the checks named, or be refused "
                 "with the error named.",
        "trusted": "trusted.json",
        "must_fail": [
            case("flipped bit in a submission", "one bit of a stored report's report_id",
                 "verdict", file=f"submissions/{first.name}", flip_bit=[at, 0],
                 fails=["log", "signature"]),
            # a character well inside the base64 signature: the last one before "=" carries
            # padding bits, whose flip may decode to the same bytes and change nothing
            case("flipped bit in the head checkpoint", "one bit of its signature line",
                 "verdict", file=f"checkpoints/{head}.txt",
                 flip_bit=[len(head_note) - 12, 1], fails=["checkpoint", "log"]),
            case("wrong context", "a submission replaced by one signed with the receipt "
                 "context", "verdict", file=f"submissions/{first.name}",
                 replace_hex=wrong_context, fails=["log", "signature"]),
            case("truncated", "log.json cut in half", "BundleError", file="log.json",
                 truncate_to=log_size // 2),
            case("wrong key", "the inspector trusts another key for the county", "verdict",
                 trusted_json=trusted_identities(inputs, keys, keys.stranger),
                 fails=["checkpoint", "key", "log"]),
        ],
    }


def json_text(value: object) -> str:
    """The one JSON layout of every vector file: two-space indent, UTF-8, final newline."""
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def derive(inputs: dict) -> dict[str, bytes]:
    """Every deterministic file of the vectors, by path under ``guanai-v1/``, from ``inputs``."""
    keys = Keys(inputs)
    schools = list(inputs["reports"])
    signed = signed_report_vector(inputs, keys)
    files = {"signed-report.json": json_text(signed)}
    with tempfile.TemporaryDirectory(prefix="guanai-vectors-") as tmp:
        receipts, bundle = run_county(inputs, keys, Path(tmp))
        files["receipt.json"] = json_text(
            receipt_vector(inputs, keys, receipts[schools[0]], schools[0], schools[1]))
        head = max(int(p.stem) for p in (bundle / "checkpoints").iterdir())
        note = (bundle / "checkpoints" / f"{head}.txt").read_text(encoding="utf-8")
        files["checkpoint.json"] = json_text(checkpoint_vector(inputs, keys, note))
        files["bundle.json"] = json_text(bundle_vector(inputs, keys, bundle, signed))
        files["trusted.json"] = trusted_identities(inputs, keys, keys.county)
        out = {path: text.encode("utf-8") for path, text in files.items()}
        for path in sorted(bundle.rglob("*")):
            name = f"bundle/{path.relative_to(bundle).as_posix()}"
            if path.is_file():
                out[name] = path.read_bytes()
            elif not any(path.iterdir()):  # git keeps no empty folder; the inspector skips dot files
                out[f"{name}/.gitkeep"] = b""
    return out


def write(folder: Path = FOLDER, log: Callable[[str], None] = print) -> None:
    """Make the vectors afresh in ``folder``: inputs, derived files and the sealed envelope."""
    inputs = make_inputs()
    files = {"inputs.json": json_text(inputs).encode("utf-8"), **derive(inputs)}
    signed = json.loads(files["signed-report.json"])
    files["sealed-envelope.json"] = json_text(
        sealed_envelope_vector(inputs, Keys(inputs), signed)).encode("utf-8")
    if folder.exists():
        for old in sorted(folder.rglob("*"), reverse=True):
            old.unlink() if old.is_file() else old.rmdir()
    for path, data in sorted(files.items()):
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        log(f"{target.relative_to(folder.parent)}  {len(data):,} bytes")


if __name__ == "__main__":
    write()
