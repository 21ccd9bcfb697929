"""The verifier against a fake, in-memory trust source: every outcome code, ``cannot_tell`` above all.

Each scenario changes one thing of a credential (or of what the trust source answers) that passes
every check, and names the check result it must give. ``test_every_code_is_produced`` fails when a
``Code`` member is produced by none of them: a code no path can reach, or a path no test reaches.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from credential_service.crypto import data_integrity as di
from credential_service.crypto import merkle
from credential_service.crypto.checkpoint import Checkpoint, sign_checkpoint
from credential_service.crypto.jcs import canonical_json
from credential_service.crypto.key_lifecycle import KeyLifecycle
from credential_service.crypto.multibase import encode_ed25519_public_key
from credential_service.crypto.qr_token import StatusRef, TokenClaims, key_fingerprint, sign_token
from credential_service.crypto.status_list import StatusListError
from credential_service.verification.keys import DirectoryKey, KeyDirectory
from credential_service.verification.presentations import verify_presentation
from credential_service.verification.rules import Check, CheckResult, Code, Outcome, Verdict, verdict_of
from credential_service.verification.sources import (
    KnownKey,
    LogEvidence,
    RegistryAnswer,
    StatusFlag,
    TrustSourceUnavailable,
)
from credential_service.verification.tokens import (
    TokenVerification,
    check_copy,
    check_token,
    verify_token_offline,
)
from credential_service.verification.verifier import verify_credential

PLATFORM = "did:web:skills.test"
ISSUER = f"{PLATFORM}:orgs:Y000014010001"
VM = f"{ISSUER}#key-1"
LOG_VM = f"{PLATFORM}#log-1"
SEED, LOG_SEED, OTHER_SEED = bytes(range(32)), bytes(range(32, 64)), bytes(range(64, 96))
PUBLIC, LOG_PUBLIC = di.ed25519_public_key(SEED), di.ed25519_public_key(LOG_SEED)
KEY_CREATED = datetime(2025, 1, 1, tzinfo=UTC)
SIGNED = datetime(2026, 1, 10, tzinfo=UTC)
LOGGED = SIGNED + timedelta(minutes=1)
CHECKPOINT_AT = SIGNED + timedelta(hours=1)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
REVOCATION_URL, SUSPENSION_URL = "https://skills.test/status/r1", "https://skills.test/status/s1"
SCHEMA_URL = "https://skills.test/schemas/test.json"
SCHEMA = {"type": "object", "required": ["credentialSubject"]}
NUMBER = "Y202601000001003000001"
SAME = "the digest of the credential presented"
UNFILLED = re.compile(r"\{[a-z_]+\}")  # a message field no check filled in
HOLDER_SEED = bytes(range(96, 128))
HOLDER_PUBLIC = di.ed25519_public_key(HOLDER_SEED)
HOLDER_MULTIBASE = encode_ed25519_public_key(HOLDER_PUBLIC)
HOLDER = f"did:key:{HOLDER_MULTIBASE}"
HOLDER_VM = f"{HOLDER}#{HOLDER_MULTIBASE}"
CHALLENGE, DOMAIN = "c-0a1b2c", "employer.test"
V2, EXAMPLES = "https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"
# The W3C VC 2.0 context as pinned here: its SHA-384 in SRI form (VC DM 2.0 §5.3, example 25).
V2_SRI = "sha384-l/HrjlBCNWyAX91hr6LFV2Y3heB5Tcr6IeE4/Tje8YyzYBM8IhqjHWiWpr8+ZbYU"


def _entry(purpose: str, url: str) -> dict[str, Any]:
    return {
        "id": f"{url}#5",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": "5",
        "statusListCredential": url,
    }


BASE: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "id": "https://skills.test/credentials/1",
    "type": ["VerifiableCredential"],
    "issuer": ISSUER,
    "validFrom": "2026-01-10T00:00:00Z",
    "credentialSubject": {"id": "did:example:holder"},
    "credentialStatus": [_entry("revocation", REVOCATION_URL), _entry("suspension", SUSPENSION_URL)],
    "credentialSchema": {"id": SCHEMA_URL, "type": "JsonSchema"},
}


def signed(created: datetime | str = SIGNED, seed: bytes = SEED, **changes: Any) -> dict[str, Any]:
    """BASE with ``changes`` (None removes a member), signed with eddsa-jcs-2022 (no RDFC: fast)."""
    document = {k: v for k, v in {**BASE, **changes}.items() if v is not None}
    return di.create_proof(
        document,
        cryptosuite="eddsa-jcs-2022",
        verification_method=VM,
        created=created,
        sign=di.ed25519_signer(seed),
    )


def digest_of(credential: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(credential)).hexdigest()


def log_evidence(credential: dict[str, Any], **changes: Any) -> LogEvidence:
    """A two-leaf log whose first leaf is ``credential``, under a checkpoint the platform signed."""
    leaf = json.dumps(
        {
            "kind": "credential.issued",
            "credentialId": credential["id"],
            "digest": digest_of(credential),
            "loggedAt": LOGGED.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    ).encode()
    hashes = [merkle.leaf_hash(leaf), merkle.leaf_hash(b"another leaf")]
    checkpoint = Checkpoint(changes.pop("origin", "skills.test/log"), 2, merkle.reference_root(hashes))
    note = sign_checkpoint(
        checkpoint,
        timestamp=CHECKPOINT_AT,
        public_key=LOG_PUBLIC,
        sign=di.ed25519_signer(changes.pop("checkpoint_seed", LOG_SEED)),
    )
    evidence = LogEvidence(0, leaf, 2, tuple(merkle.reference_inclusion_path(0, hashes)), note, LOG_VM)
    return replace(evidence, **changes)


@dataclass
class FakeTrust:
    """An in-memory TrustSource (and OfflineTrust): every answer is a field a scenario may change."""

    keys: dict[str, KnownKey] = field(
        default_factory=lambda: {
            VM: KnownKey(ISSUER, PUBLIC, KeyLifecycle(KEY_CREATED, None, None)),
            LOG_VM: KnownKey(PLATFORM, LOG_PUBLIC, KeyLifecycle(KEY_CREATED, None, None)),
            HOLDER_VM: KnownKey(HOLDER, HOLDER_PUBLIC, KeyLifecycle(KEY_CREATED, None, None)),
        }
    )
    keys_unreachable: bool = False
    flags: dict[str, StatusFlag] = field(
        default_factory=lambda: {
            REVOCATION_URL: StatusFlag(False, ISSUER, ("revocation",)),
            SUSPENSION_URL: StatusFlag(False, ISSUER, ("suspension",)),
        }
    )
    answer: RegistryAnswer | None = field(
        default_factory=lambda: RegistryAnswer(True, SAME, scope_applies=True)
    )
    schemas: dict[str, dict[str, Any]] = field(default_factory=lambda: {SCHEMA_URL: SCHEMA})
    issued: datetime | None = None
    evidence: LogEvidence | None = None
    log_unreachable: bool = False

    def key(self, verification_method: str) -> KnownKey | None:
        if self.keys_unreachable:
            raise TrustSourceUnavailable(verification_method)
        return self.keys.get(verification_method)

    def status_flag(self, status_list_url: str, index: int) -> StatusFlag:
        if status_list_url not in self.flags:
            raise TrustSourceUnavailable(status_list_url)
        if index >= 100:
            raise StatusListError("index outside the list")
        return self.flags[status_list_url]

    def registry(self, credential: dict[str, Any], digest: str) -> RegistryAnswer | None:
        if self.answer is not None and self.answer.recorded_digest == SAME:
            return replace(self.answer, recorded_digest=digest)
        return self.answer

    def schema(self, url: str) -> dict[str, Any] | None:
        return self.schemas.get(url)

    def recorded_issuance(self, credential_id: str) -> datetime | None:
        return self.issued

    def log_evidence(self, credential_id: str) -> LogEvidence | None:
        if self.log_unreachable:
            raise TrustSourceUnavailable(credential_id)
        return self.evidence

    def known_keys(self) -> dict[str, KnownKey]:
        return dict(self.keys)

    def status_list_url(self, list_id: str) -> str | None:
        return {"r0000000000000001": REVOCATION_URL, "s0000000000000001": SUSPENSION_URL}.get(list_id)


GOOD = signed()


def verified(credential: Any = GOOD, now: datetime = NOW, **trust: Any) -> list[CheckResult]:
    return verify_credential(credential, FakeTrust(**trust), now=now).checks


def logged(**changes: Any) -> list[CheckResult]:
    return verified(evidence=log_evidence(GOOD, **changes))


def key_lifecycle(**changes: Any) -> dict[str, KnownKey]:
    keys = FakeTrust().keys
    keys[VM] = replace(keys[VM], lifecycle=replace(keys[VM].lifecycle, **changes))
    return keys


def token(issued_on: date = date(2026, 1, 10), seed: bytes = SEED) -> str:
    claims = TokenClaims(
        key_fingerprint(PUBLIC),
        issued_on,
        NUMBER,
        digest_of(GOOD),
        StatusRef("r0000000000000001", 5),
        StatusRef("s0000000000000001", 5),
    )
    return sign_token(claims, di.ed25519_signer(seed))


def scanned(text: str) -> list[CheckResult]:
    result = TokenVerification()
    directory = KeyDirectory(lambda: (0, [DirectoryKey(VM, ISSUER, PUBLIC)]))
    check_token(text, directory, result)
    return result.checks


def offline(text: str = "", now: datetime = NOW, **trust: Any) -> list[CheckResult]:
    return verify_token_offline(text or token(), FakeTrust(**trust), now=now).checks


def damaged() -> list[CheckResult]:
    result = TokenVerification()
    check_copy(GOOD, "0" * 64, FakeTrust(), result, NOW)
    return result.checks


def presentation(
    *credentials: Any, purpose: str = "authentication", seed: bytes = HOLDER_SEED, **changes: Any
) -> dict[str, Any]:
    """A presentation of ``credentials`` (GOOD when none) by HOLDER, for CHALLENGE at DOMAIN;
    ``changes`` (None removes a member) are signed with it."""
    unsigned = {
        "@context": [V2],
        "type": ["VerifiablePresentation"],
        "holder": HOLDER,
        "verifiableCredential": list(credentials) or [GOOD],
        **changes,
    }
    return di.create_proof(
        {k: v for k, v in unsigned.items() if v is not None},
        cryptosuite="eddsa-jcs-2022",
        verification_method=HOLDER_VM,
        created=SIGNED,
        sign=di.ed25519_signer(seed),
        proof_purpose=purpose,
        challenge=CHALLENGE,
        domain=DOMAIN,
    )


def presented(document: Any = None, challenge: str = CHALLENGE, **trust: Any) -> list[CheckResult]:
    """The presentation's own checks (its credentials' come with their summary line)."""
    report = verify_presentation(
        document if document is not None else presentation(),
        FakeTrust(**trust),
        challenge=challenge,
        domain=DOMAIN,
        now=NOW,
    )
    return report.checks


def flagged(url: str, **changes: Any) -> dict[str, StatusFlag]:
    flags = FakeTrust().flags
    flags[url] = replace(flags[url], **changes)
    return flags


C, OK, BAD, UNSURE = Check, Outcome.VALID, Outcome.INVALID, Outcome.CANNOT_TELL
SCENARIOS: dict[str, tuple[Callable[[], list[CheckResult]], tuple[Check, Outcome, Code]]] = {
    # proof
    "not a JSON object": (lambda: verified([GOOD]), (C.PROOF, BAD, Code.NOT_A_CREDENTIAL)),
    "an unsafe number": (lambda: verified({**GOOD, "n": 2**60}), (C.PROOF, BAD, Code.NOT_CANONICALISABLE)),
    "a key nobody serves": (lambda: verified(keys={}), (C.PROOF, BAD, Code.UNKNOWN_KEY)),
    "the key source is down": (
        lambda: verified(keys_unreachable=True),
        (C.PROOF, UNSURE, Code.KEY_UNREACHABLE),
    ),
    "the signature": (verified, (C.PROOF, OK, Code.SIGNATURE_VALID)),
    # issuer_key
    "no signing time": (
        lambda: verified(signed(created="10000-01-01T00:00:00Z")),
        (C.ISSUER_KEY, UNSURE, Code.NO_SIGNING_TIME),
    ),
    "a stolen key's date": (
        lambda: verified(keys=key_lifecycle(compromised_since=SIGNED + timedelta(days=1))),
        (C.ISSUER_KEY, UNSURE, Code.COMPROMISE_TIME_UNPROVEN),
    ),
    "the key then": (verified, (C.ISSUER_KEY, OK, Code.KEY_VALID_AT_ISSUANCE)),
    "a compromised key": (
        lambda: verified(keys=key_lifecycle(compromised_since=SIGNED - timedelta(days=1))),
        (C.ISSUER_KEY, BAD, Code.KEY_COMPROMISED),
    ),
    "a retired key": (
        lambda: verified(keys=key_lifecycle(retired=SIGNED - timedelta(days=1))),
        (C.ISSUER_KEY, BAD, Code.KEY_RETIRED),
    ),
    "a key not yet made": (
        lambda: verified(keys=key_lifecycle(created=SIGNED + timedelta(days=1))),
        (C.ISSUER_KEY, BAD, Code.KEY_BEFORE_CREATED),
    ),
    # logged
    "the log is down": (lambda: verified(log_unreachable=True), (C.LOGGED, UNSURE, Code.LOG_UNREACHABLE)),
    "missing from the log": (
        lambda: verified(evidence=LogEvidence(leaf_index=None)),
        (C.LOGGED, BAD, Code.NOT_IN_LOG),
    ),
    "no checkpoint yet": (lambda: logged(checkpoint=None), (C.LOGGED, UNSURE, Code.AWAITING_CHECKPOINT)),
    "another leaf": (lambda: logged(leaf_data=b"{}"), (C.LOGGED, BAD, Code.LOG_MISMATCH)),
    "another log": (
        lambda: logged(origin="elsewhere.test/log"),
        (C.LOGGED, BAD, Code.LOG_OF_ANOTHER_SERVICE),
    ),
    "an unknown checkpoint key": (
        lambda: logged(checkpoint_key=f"{PLATFORM}#log-9"),
        (C.LOGGED, UNSURE, Code.CHECKPOINT_KEY_UNKNOWN),
    ),
    "a forged checkpoint": (
        lambda: logged(checkpoint_seed=OTHER_SEED),
        (C.LOGGED, BAD, Code.CHECKPOINT_INVALID),
    ),
    "a retired checkpoint key": (
        lambda: verified(
            evidence=log_evidence(GOOD),
            keys={
                **FakeTrust().keys,
                LOG_VM: KnownKey(PLATFORM, LOG_PUBLIC, KeyLifecycle(KEY_CREATED, SIGNED, None)),
            },
        ),
        (C.LOGGED, BAD, Code.CHECKPOINT_KEY_INVALID),
    ),
    "a wrong audit path": (lambda: logged(tree_size=3), (C.LOGGED, BAD, Code.INCLUSION_PROOF_INVALID)),
    "in the log": (logged, (C.LOGGED, OK, Code.LOGGED)),
    # issuer
    "the issuer's key": (verified, (C.ISSUER, OK, Code.ISSUER_CONTROLS_KEY)),
    "someone else's key": (
        lambda: verified(
            keys={VM: KnownKey("did:web:elsewhere.test", PUBLIC, KeyLifecycle(KEY_CREATED, None, None))}
        ),
        (C.ISSUER, BAD, Code.ISSUER_MISMATCH),
    ),
    # validity_period
    "not yet valid": (
        lambda: verified(now=SIGNED - timedelta(days=1)),
        (C.VALIDITY_PERIOD, BAD, Code.NOT_YET_VALID),
    ),
    "expired": (
        lambda: verified(signed(validUntil="2026-02-01T00:00:00Z")),
        (C.VALIDITY_PERIOD, BAD, Code.EXPIRED),
    ),
    "within its period": (verified, (C.VALIDITY_PERIOD, OK, Code.WITHIN_VALIDITY_PERIOD)),
    # status
    "no status list": (lambda: verified(signed(credentialStatus=None)), (C.STATUS, OK, Code.NO_STATUS_ENTRY)),
    "a purpose we cannot tell": (
        lambda: verified(signed(credentialStatus=_entry("message", REVOCATION_URL))),
        (C.STATUS, UNSURE, Code.STATUS_PURPOSE_UNSUPPORTED),
    ),
    "the status list is down": (
        lambda: verified(flags={}),
        (C.STATUS_REVOCATION, UNSURE, Code.STATUS_UNREACHABLE),
    ),
    "someone else's status list": (
        lambda: verified(flags=flagged(SUSPENSION_URL, issuer="did:web:elsewhere.test")),
        (C.STATUS_SUSPENSION, BAD, Code.STATUS_LIST_INVALID),
    ),
    "revoked": (
        lambda: verified(flags=flagged(REVOCATION_URL, flagged=True)),
        (C.STATUS_REVOCATION, BAD, Code.REVOCATION),
    ),
    "not revoked": (verified, (C.STATUS_REVOCATION, OK, Code.NOT_REVOCATION)),
    "suspended": (
        lambda: verified(flags=flagged(SUSPENSION_URL, flagged=True)),
        (C.STATUS_SUSPENSION, BAD, Code.SUSPENSION),
    ),
    "not suspended": (verified, (C.STATUS_SUSPENSION, OK, Code.NOT_SUSPENSION)),
    # record, scope
    "someone else's issuer": (
        lambda: verified(answer=RegistryAnswer(ours=False)),
        (C.RECORD, UNSURE, Code.NOT_OUR_ISSUER),
    ),
    "never issued": (
        lambda: verified(answer=RegistryAnswer(ours=True, recorded_digest=None)),
        (C.RECORD, BAD, Code.NOT_IN_REGISTRY),
    ),
    "issued without a number": (
        lambda: verified(answer=RegistryAnswer(ours=True, recorded_digest=SAME, unnumbered=True)),
        (C.RECORD, BAD, Code.UNNUMBERED_CERTIFICATE),
    ),
    "issued otherwise": (
        lambda: verified(answer=RegistryAnswer(ours=True, recorded_digest="0" * 64)),
        (C.RECORD, BAD, Code.DIGEST_MISMATCH),
    ),
    "registered": (verified, (C.RECORD, OK, Code.REGISTERED)),
    "a damaged copy": (damaged, (C.RECORD, UNSURE, Code.RECORD_DAMAGED)),
    "outside the scope": (
        lambda: verified(answer=RegistryAnswer(True, SAME, scope_applies=True, refusals=("level: no",))),
        (C.SCOPE, BAD, Code.OUTSIDE_REGISTERED_SCOPE),
    ),
    "within the scope": (verified, (C.SCOPE, OK, Code.WITHIN_REGISTERED_SCOPE)),
    # schema
    "a broken data model": (lambda: verified(signed(name=5)), (C.SCHEMA, BAD, Code.DATA_MODEL)),
    "an unknown schema": (lambda: verified(schemas={}), (C.SCHEMA, UNSURE, Code.SCHEMA_UNKNOWN)),
    "against its schema": (
        lambda: verified(schemas={SCHEMA_URL: {"type": "object", "required": ["nothing"]}}),
        (C.SCHEMA, BAD, Code.SCHEMA_MISMATCH),
    ),
    "its schema": (verified, (C.SCHEMA, OK, Code.SCHEMA_VALID)),
    # related_resource (VC DM 2.0 §5.3)
    "a pinned context's digest": (
        lambda: verified(signed(relatedResource=[{"id": V2, "digestSRI": V2_SRI}])),
        (C.RELATED_RESOURCE, OK, Code.RELATED_RESOURCES_MATCH),
    ),
    "related resources as strings": (
        lambda: verified(signed(relatedResource=[V2])),
        (C.RELATED_RESOURCE, BAD, Code.RELATED_RESOURCE_MALFORMED),
    ),
    "another version of the context": (
        lambda: verified(signed(relatedResource={"id": V2, "digestSRI": "sha384-" + "A" * 64})),
        (C.RELATED_RESOURCE, BAD, Code.RELATED_RESOURCE_MISMATCH),
    ),
    # a presentation's own checks
    "a presentation": (presented, (C.PRESENTATION, OK, Code.PRESENTATION_WELL_FORMED)),
    "a presentation whose first context is not VC 2.0": (
        lambda: presented(presentation(**{"@context": [EXAMPLES, V2]})),
        (C.PRESENTATION, BAD, Code.PRESENTATION_DATA_MODEL),
    ),
    "an enveloped presentation": (
        lambda: presented({"@context": V2, "type": "EnvelopedVerifiablePresentation", "id": "data:,x"}),
        (C.PROOF, UNSURE, Code.ENVELOPED_UNSUPPORTED),
    ),
    "the presenter's signature": (presented, (C.PROOF, OK, Code.PRESENTATION_SIGNED)),
    "an unsigned presentation": (
        lambda: presented({k: v for k, v in presentation().items() if k != "proof"}),
        (C.PROOF, BAD, Code.PRESENTATION_UNSIGNED),
    ),
    "a presentation changed after signing": (
        lambda: presented({**presentation(), "holder": "did:example:someone"}),
        (C.PROOF, BAD, Code.PRESENTATION_SIGNATURE_INVALID),
    ),
    "a presenter's key unknown here": (
        lambda: presented(keys={}),
        (C.PROOF, UNSURE, Code.HOLDER_KEY_UNKNOWN),
    ),
    "an assertion, not an authentication": (
        lambda: presented(presentation(purpose="assertionMethod")),
        (C.PROOF, BAD, Code.NOT_FOR_AUTHENTICATION),
    ),
    "the verifier's challenge": (presented, (C.CHALLENGE, OK, Code.CHALLENGE_MATCHES)),
    "a replayed presentation": (
        lambda: presented(challenge="another"),
        (C.CHALLENGE, BAD, Code.CHALLENGE_MISMATCH),
    ),
    "the verifier's domain": (presented, (C.DOMAIN, OK, Code.DOMAIN_MATCHES)),
    "a credential's proof for another verifier": (
        lambda: verify_credential(GOOD, FakeTrust(), now=NOW, domain=DOMAIN).checks,
        (C.DOMAIN, BAD, Code.DOMAIN_MISMATCH),
    ),
    "signed by its holder": (presented, (C.HOLDER, OK, Code.HOLDER_SIGNED)),
    "signed by someone else than its holder": (
        lambda: presented(presentation(holder="did:example:someone")),
        (C.HOLDER, BAD, Code.HOLDER_MISMATCH),
    ),
    "a credential in it that passes": (
        lambda: presented(evidence=log_evidence(GOOD)),
        (C.CREDENTIAL, OK, Code.CREDENTIAL_VERIFIED),
    ),
    "a revoked credential in it": (
        lambda: presented(flags=flagged(REVOCATION_URL, flagged=True)),
        (C.CREDENTIAL, BAD, Code.CREDENTIAL_NOT_VERIFIED),
    ),
    "a credential in it that cannot be told": (
        lambda: presented(flags={}),
        (C.CREDENTIAL, UNSURE, Code.CREDENTIAL_CANNOT_TELL),
    ),
    # a QR token, online and offline
    "a forged token": (lambda: scanned(token(seed=OTHER_SEED)), (C.TOKEN, BAD, Code.TOKEN_INVALID)),
    "a token": (lambda: scanned(token()), (C.TOKEN, OK, Code.TOKEN_SIGNED)),
    "offline": (offline, (C.RECORD, UNSURE, Code.OFFLINE)),
    "offline, the key that day": (offline, (C.ISSUER_KEY, OK, Code.KEY_VALID_AT_ISSUANCE)),
    "offline, a key retired before": (
        lambda: offline(keys=key_lifecycle(retired=SIGNED - timedelta(days=1))),
        (C.ISSUER_KEY, BAD, Code.KEY_INVALID_AT_ISSUANCE),
    ),
    "offline, a key retired that day": (
        lambda: offline(keys=key_lifecycle(retired=SIGNED + timedelta(hours=3))),
        (C.ISSUER_KEY, UNSURE, Code.KEY_CHANGED_THAT_DAY),
    ),
    "offline, not yet valid": (
        lambda: offline(now=SIGNED - timedelta(days=2)),
        (C.VALIDITY_PERIOD, BAD, Code.NOT_YET_VALID),
    ),
    "offline, no list in the bundle": (
        lambda: offline(flags={}),
        (C.STATUS_SUSPENSION, UNSURE, Code.STATUS_UNREACHABLE),
    ),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_each_scenario_gives_its_result(name: str) -> None:
    run, (check, outcome, code) = SCENARIOS[name]
    results = run()
    assert (check, outcome, code) in {(r.check, r.outcome, r.code) for r in results}, [
        r.as_dict() for r in results
    ]
    for produced in results:
        words = produced.message_zh + produced.message_en
        assert produced.message_zh and produced.message_en and not UNFILLED.search(words)


def test_every_code_is_produced() -> None:
    produced = {r.code for run, _ in SCENARIOS.values() for r in run()}
    assert set(Code) - produced == set()


def test_a_good_credential_passes_every_check() -> None:
    results = verified(evidence=log_evidence(GOOD))
    assert [r.outcome for r in results] == [Outcome.VALID] * len(results)
    assert verdict_of(results, "valid") is Verdict.GENUINE


@pytest.mark.parametrize(
    "run",
    [
        lambda: verified(keys_unreachable=True),
        lambda: verified(flags={}),
        lambda: verified(log_unreachable=True),
        lambda: verified(schemas={}),
        lambda: verified(answer=RegistryAnswer(ours=False)),
        lambda: verified(now=SIGNED - timedelta(days=1)),
        offline,
    ],
)
def test_what_cannot_be_had_now_is_cannot_tell_never_not_genuine(
    run: Callable[[], list[CheckResult]],
) -> None:
    assert verdict_of(run(), None) is Verdict.CANNOT_TELL


def test_a_not_yet_valid_token_is_refused_offline() -> None:
    results = offline(now=SIGNED - timedelta(days=2))
    assert verdict_of(results, None) is not Verdict.GENUINE
    assert next(r for r in results if r.check is Check.VALIDITY_PERIOD).outcome is Outcome.INVALID
    on_the_day = offline(now=SIGNED + timedelta(hours=1))
    assert next(r for r in on_the_day if r.check is Check.VALIDITY_PERIOD).outcome is Outcome.VALID
