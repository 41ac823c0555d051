"""Who may ask what (docs/query.md §2): credentials checked against what this aggregator trusts.

- Staff credentials are issued by this aggregator itself (`guanai aggregator credential`),
  signed with its own key, for its region or any region below it: a county's staff see their
  county and its schools; provincial staff see everything at the province.
- A school signs its own credential with its node key (`guanai node credential`); it is
  trusted if that key is enrolled here for the school (not revoked), or signed a report of the
  school held here (a province holds the reports forwarded by counties) and was not revoked by
  the aggregator that enrolled it (its signed enrolment, carried by its rollups: aggregator/
  intake/enrolled_below.py). It shows the school its own figures and nothing else.

Failures are typed so that the service can answer UNAUTHENTICATED (no credential, or one not
to be trusted) or PERMISSION_DENIED (a trusted credential asking beyond its scope), with a
message that says nothing about the data.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from aggregator.figures.holdings import is_school
from common.clock import SYSTEM
from privacy import credential
from privacy.credential import CredentialError, Grant
from privacy.envelope import EnvelopeError, parse_signed
from protos.deadlines import to_ms
from protos.refusals import Kind, Refused

if TYPE_CHECKING:  # the query client imports METADATA_KEY from here and opens no store
    from aggregator.keys.own_identity import Settings
    from aggregator.store.sqlite import Store

METADATA_KEY = "guanai-credential-bin"


def _unauthenticated(message: str) -> Refused:
    return Refused(Kind.UNAUTHENTICATED, message)


def _school_keys(store: Store, school_id: str, now: datetime) -> set[bytes]:
    """Keys the school holds: enrolled here, or signers of its reports held here — less every
    key revoked by ``now``, here or by the aggregator below that enrolled it (a revoked key
    gets no answer, whatever it signed before)."""
    enrolled = store.keys(school_id)
    revoked = {k.signing_key for k in enrolled
               if k.revoked_at is not None and datetime.fromisoformat(k.revoked_at) <= now}
    revoked |= {key for key, below in store.revoked_below(school_id).items()
                if below.revoked_unix_ms <= to_ms(now)}
    keys = {k.signing_key for k in enrolled}
    for signed in store.signed_reports_of(school_id):
        try:
            keys.add(bytes(parse_signed(signed)[0].signer_key))
        except EnvelopeError:
            continue
    return keys - revoked


def authenticate(store: Store, settings: Settings, token: bytes | None,
                 now: datetime | None = None) -> Grant:
    """The grant of a credential this aggregator trusts; Refused(UNAUTHENTICATED) otherwise."""
    now = now or SYSTEM.now()
    if not token:
        raise _unauthenticated(f"缺少凭据 no credential: send one in metadata {METADATA_KEY!r} "
                               "(`guanai query --credential FILE`)")
    try:
        grant = credential.verify(token, now)
    except CredentialError as exc:
        raise _unauthenticated(str(exc)) from None
    if grant.role == "staff":
        trusted = (grant.issuer == settings.region
                   and grant.signer_key == bytes(settings.signing_key.verify_key))
    else:
        trusted = (is_school(grant.issuer) and grant.region == grant.issuer
                   and grant.signer_key in _school_keys(store, grant.issuer, now))
    if not trusted:
        raise _unauthenticated("凭据不被信任 the credential was not issued by this aggregator "
                               "or by a school it knows")
    return grant


def permit(grant: Grant, unit: str, within: bool) -> None:
    """Refuse (PERMISSION_DENIED) unless ``unit`` is what the grant covers."""
    allowed = unit == grant.region if grant.role == "school" else within
    if not allowed:
        raise Refused(Kind.NOT_PERMITTED,
                      f"无权查询 this credential ({grant.role} of {grant.region}) does not cover "
                      f"{unit}")
