"""The verifier's one vocabulary: the checks, their outcome codes, one bilingual message per code and
the employer's verdict (pure: no I/O).

The check and code strings are what the API returns (``checks[].check`` and ``checks[].code``), so
their values never change. Every path (``/credentials/verify``, the QR page and API, the look-ups,
the CLI, the offline token check) words its results from ``MESSAGES``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from credential_service.certificates.status.rules import CertificateState
from credential_service.crypto.data_integrity import FailureReason
from credential_service.crypto.status_list import StatusPurpose


class Outcome(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    CANNOT_TELL = "cannot_tell"


class Check(StrEnum):
    TOKEN = "token"  # noqa: S105 (a check name, no secret)
    RECORD = "record"
    LOGGED = "logged"
    PROOF = "proof"
    ISSUER_KEY = "issuer_key"
    ISSUER = "issuer"
    SCOPE = "scope"
    VALIDITY_PERIOD = "validity_period"
    STATUS = "status"
    STATUS_REVOCATION = "status_revocation"
    STATUS_SUSPENSION = "status_suspension"
    SCHEMA = "schema"
    RELATED_RESOURCE = "related_resource"
    # a presentation's own checks (``/presentations/verify``)
    PRESENTATION = "presentation"
    CHALLENGE = "challenge"
    DOMAIN = "domain"
    HOLDER = "holder"
    CREDENTIAL = "credential"


class Code(StrEnum):
    # proof (a failed proof's code is the crypto layer's FailureReason)
    NOT_A_CREDENTIAL = "not_a_credential"
    NOT_CANONICALISABLE = "not_canonicalisable"
    UNKNOWN_KEY = "unknown_key"
    KEY_UNREACHABLE = "key_unreachable"
    SIGNATURE_VALID = "signature_valid"
    # issuer_key
    NO_SIGNING_TIME = "no_signing_time"
    COMPROMISE_TIME_UNPROVEN = "compromise_time_unproven"
    KEY_VALID_AT_ISSUANCE = "key_valid_at_issuance"
    KEY_COMPROMISED = "key_compromised"
    KEY_RETIRED = "key_retired"
    KEY_BEFORE_CREATED = "key_before_created"
    KEY_INVALID_AT_ISSUANCE = "key_invalid_at_issuance"
    KEY_CHANGED_THAT_DAY = "key_changed_that_day"
    # logged
    LOG_UNREACHABLE = "log_unreachable"
    NOT_IN_LOG = "not_in_log"
    AWAITING_CHECKPOINT = "awaiting_checkpoint"
    LOG_MISMATCH = "log_mismatch"
    LOG_OF_ANOTHER_SERVICE = "log_of_another_service"
    CHECKPOINT_KEY_UNKNOWN = "checkpoint_key_unknown"
    CHECKPOINT_INVALID = "checkpoint_invalid"
    CHECKPOINT_KEY_INVALID = "checkpoint_key_invalid"
    INCLUSION_PROOF_INVALID = "inclusion_proof_invalid"
    LOGGED = "logged"
    # issuer
    ISSUER_CONTROLS_KEY = "issuer_controls_key"
    ISSUER_MISMATCH = "issuer_mismatch"
    # validity_period
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    WITHIN_VALIDITY_PERIOD = "within_validity_period"
    # status, status_revocation, status_suspension
    NO_STATUS_ENTRY = "no_status_entry"
    STATUS_PURPOSE_UNSUPPORTED = "status_purpose_unsupported"
    STATUS_UNREACHABLE = "status_unreachable"
    STATUS_LIST_INVALID = "status_list_invalid"
    REVOCATION = "revocation"
    NOT_REVOCATION = "not_revocation"
    SUSPENSION = "suspension"
    NOT_SUSPENSION = "not_suspension"
    # record, scope
    NOT_OUR_ISSUER = "not_our_issuer"
    NOT_IN_REGISTRY = "not_in_registry"
    DIGEST_MISMATCH = "digest_mismatch"
    UNNUMBERED_CERTIFICATE = "unnumbered_certificate"
    REGISTERED = "registered"
    RECORD_DAMAGED = "record_damaged"
    OFFLINE = "offline"
    OUTSIDE_REGISTERED_SCOPE = "outside_registered_scope"
    WITHIN_REGISTERED_SCOPE = "within_registered_scope"
    # schema
    DATA_MODEL = "data_model"
    SCHEMA_UNKNOWN = "schema_unknown"
    SCHEMA_MISMATCH = "schema_mismatch"
    SCHEMA_VALID = "schema_valid"
    # related_resource
    RELATED_RESOURCES_MATCH = "related_resources_match"
    RELATED_RESOURCE_MALFORMED = "related_resource_malformed"
    RELATED_RESOURCE_MISMATCH = "related_resource_mismatch"
    # token
    TOKEN_INVALID = "token_invalid"  # noqa: S105
    TOKEN_SIGNED = "token_signed"  # noqa: S105
    # presentation
    PRESENTATION_WELL_FORMED = "presentation_well_formed"
    PRESENTATION_DATA_MODEL = "presentation_data_model"
    ENVELOPED_UNSUPPORTED = "enveloped_unsupported"
    # proof (of a presentation)
    PRESENTATION_SIGNED = "presentation_signed"
    PRESENTATION_UNSIGNED = "presentation_unsigned"
    PRESENTATION_SIGNATURE_INVALID = "presentation_signature_invalid"
    HOLDER_KEY_UNKNOWN = "holder_key_unknown"
    NOT_FOR_AUTHENTICATION = "not_for_authentication"
    # challenge, domain, holder
    CHALLENGE_MATCHES = "challenge_matches"
    CHALLENGE_MISMATCH = "challenge_mismatch"
    DOMAIN_MATCHES = "domain_matches"
    DOMAIN_MISMATCH = "domain_mismatch"
    HOLDER_SIGNED = "holder_signed"
    HOLDER_MISMATCH = "holder_mismatch"
    # credential (one embedded in a presentation)
    CREDENTIAL_VERIFIED = "credential_verified"
    CREDENTIAL_NOT_VERIFIED = "credential_not_verified"
    CREDENTIAL_CANNOT_TELL = "credential_cannot_tell"


AnyCode = Code | FailureReason


class Wording(StrEnum):
    """What the message speaks of: a presented credential, a scanned QR code, or a QR code checked
    offline against a trust bundle (the same code, phrased for what the reader holds)."""

    CREDENTIAL = "credential"
    SCANNED = "scanned"
    OFFLINE = "offline"


@dataclass(frozen=True)
class Message:
    """Chinese first, English second; ``{name}`` fields are filled by the check that reports it."""

    zh: str
    en: str
    scanned: tuple[str, str] | None = None
    offline: tuple[str, str] | None = None

    def worded(self, wording: Wording) -> tuple[str, str]:
        chosen = {Wording.SCANNED: self.scanned, Wording.OFFLINE: self.offline}.get(wording)
        return chosen or (self.zh, self.en)


_UNTRUSTED = "not trustworthy."
_BAD_PROOF = Message(
    "数字签名不正确：证书内容被改动过，或不是由签发机构签发的。",
    "The digital signature does not match ({detail}): the content was changed or it was not signed "
    "by the issuer.",
)
_STATUS_CLEAR_OFFLINE = (
    "截至离线资料下载时，证书未被撤销或暂停。",
    "Neither revoked nor suspended as of the bundle's download.",
)

MESSAGES: Final[dict[AnyCode, Message]] = {
    **dict.fromkeys(FailureReason, _BAD_PROOF),
    Code.NOT_A_CREDENTIAL: Message(
        "这不是一份证书数据。",
        "This is not a credential (a JSON object, nested at most a few dozen levels, is expected).",
    ),
    Code.NOT_CANONICALISABLE: Message(
        "证书数据含有超出范围的数值，无法核验。",
        "The credential holds a number outside JSON's safe range: it cannot be verified.",
    ),
    Code.UNKNOWN_KEY: Message(
        "签名所用的密钥不属于任何已登记的签发机构，证书不可信。",
        "The signing key belongs to no issuer we know: the credential cannot be trusted.",
    ),
    Code.KEY_UNREACHABLE: Message(
        "暂时无法取得签发机构的公钥，请稍后再试。",
        "The issuer's public key cannot be fetched now; try again later.",
    ),
    Code.SIGNATURE_VALID: Message(
        "数字签名正确，内容未被改动。", "The digital signature is valid; nothing was changed."
    ),
    Code.NO_SIGNING_TIME: Message(
        "无法确定签名时间，不能判断当时密钥是否有效。",
        "The signing time is unknown, so the key's validity then cannot be told.",
    ),
    Code.COMPROMISE_TIME_UNPROVEN: Message(
        "签名密钥已被登记为泄露，而透明日志不能证明这份证书是在泄露之前签发的。",
        "The signing key was later marked compromised, and the transparency log does not prove "
        "this credential was logged before that.",
    ),
    Code.KEY_VALID_AT_ISSUANCE: Message(
        "签名时该密钥有效。",
        "The key was valid when the credential was signed.",
        offline=("发证当日该密钥有效。", "The key was valid on the issue date."),
    ),
    Code.KEY_COMPROMISED: Message(
        "该密钥在签名时已被登记为泄露，证书不可信。",
        f"The key was marked compromised before this signature: {_UNTRUSTED}",
    ),
    Code.KEY_RETIRED: Message(
        "签名时该密钥已停用，证书不可信。", f"The key had been retired before this signature: {_UNTRUSTED}"
    ),
    Code.KEY_BEFORE_CREATED: Message(
        "签名时间早于密钥的启用时间，证书不可信。",
        f"The signature claims a time before the key existed: {_UNTRUSTED}",
    ),
    Code.KEY_INVALID_AT_ISSUANCE: Message(
        "发证当日该密钥尚未启用、已停用或已泄露：证书不可信。",
        f"The key did not exist, was retired or was compromised on the issue date: {_UNTRUSTED}",
    ),
    Code.KEY_CHANGED_THAT_DAY: Message(
        "该密钥在发证当日停用或泄露，离线无法判断签名在前还是在后。",
        "The key was retired or compromised on the issue date: offline, this cannot be told.",
    ),
    Code.LOG_UNREACHABLE: Message(
        "暂时无法取得透明日志的证明，请稍后再试。",
        "The transparency log's proof cannot be fetched now; try again later.",
    ),
    Code.NOT_IN_LOG: Message(
        "签发记录显示已签发，但公开的透明日志中没有这份证书，证书不可信。",
        f"The issuer's records list this credential, but the public transparency log does not: {_UNTRUSTED}",
    ),
    Code.AWAITING_CHECKPOINT: Message(
        "证书已写入透明日志，但尚未进入已签名的检查点，请稍后再试。",
        "The credential is in the transparency log but not yet in a signed checkpoint; try again later.",
    ),
    Code.LOG_MISMATCH: Message(
        "透明日志中记录的不是这份证书（内容不一致），证书不可信。",
        f"The transparency log recorded a different credential under this id: {_UNTRUSTED}",
    ),
    Code.LOG_OF_ANOTHER_SERVICE: Message(
        "透明日志不属于签发这份证书的服务。",
        "The transparency log belongs to another service than the credential's issuer.",
    ),
    Code.CHECKPOINT_KEY_UNKNOWN: Message(
        "无法取得签署透明日志检查点的平台公钥。",
        "The platform key that signed the transparency log checkpoint is not known here.",
    ),
    Code.CHECKPOINT_INVALID: Message(
        "透明日志检查点的签名无效。", "The transparency log checkpoint's signature does not verify. {detail}"
    ),
    Code.CHECKPOINT_KEY_INVALID: Message(
        "透明日志检查点是用当时无效的平台密钥签名的。",
        "The transparency log checkpoint was signed with a platform key that was not valid then.",
    ),
    Code.INCLUSION_PROOF_INVALID: Message(
        "透明日志的包含证明不成立，证书不可信。",
        f"The transparency log's inclusion proof does not verify: {_UNTRUSTED} {{detail}}",
    ),
    Code.LOGGED: Message(
        "证书已于 {logged_at}（北京时间）记入公开透明日志（日志序号 {index}），"
        "平台于 {signed_at} 签署的检查点证明了这一点。",
        "The credential was logged in the public transparency log at {logged_at} Beijing time (log "
        "index {index}), as the checkpoint the platform signed at {signed_at} proves.",
    ),
    Code.ISSUER_CONTROLS_KEY: Message(
        "签名密钥属于证书上写明的签发机构。", "The signing key belongs to the issuer named on the credential."
    ),
    Code.ISSUER_MISMATCH: Message(
        "签名密钥不属于证书上写明的签发机构，证书不可信。",
        "The signing key does not belong to the issuer named on the credential.",
    ),
    Code.NOT_YET_VALID: Message(
        "证书自 {since}（北京时间）起才生效。", "The credential is only valid from {since} Beijing time."
    ),
    Code.EXPIRED: Message(
        "证书已于 {until}（北京时间）过期。", "The credential expired at {until} Beijing time."
    ),
    Code.WITHIN_VALIDITY_PERIOD: Message("证书在有效期内。", "The credential is within its validity period."),
    Code.NO_STATUS_ENTRY: Message("证书未声明状态列表。", "The credential declares no status list."),
    Code.STATUS_PURPOSE_UNSUPPORTED: Message(
        "证书声明的状态用途（{purpose}）本平台无法判断。",
        "The credential's status purpose ({purpose}) is not one this verifier can tell.",
    ),
    Code.STATUS_UNREACHABLE: Message(
        "暂时无法查询证书状态（撤销/暂停），请稍后再试。",
        "The status list cannot be fetched now; try again later.",
        offline=(
            "离线资料中没有该证书的状态列表，无法判断是否被撤销或暂停。",
            "The bundle lacks this certificate's status list: revocation/suspension cannot be told.",
        ),
    ),
    Code.STATUS_LIST_INVALID: Message(
        "证书的状态信息无效。", "The credential's status entry is invalid: {detail}"
    ),
    Code.REVOCATION: Message(
        "证书已被撤销。",
        "The credential has been revoked.",
        offline=("证书已被撤销（以离线资料为准）。", "The certificate has been revoked (as of the bundle)."),
    ),
    Code.NOT_REVOCATION: Message(
        "证书未被撤销。", "The credential is not revoked.", offline=_STATUS_CLEAR_OFFLINE
    ),
    Code.SUSPENSION: Message(
        "证书已被暂停。",
        "The credential has been suspended.",
        offline=("证书已被暂停使用（以离线资料为准）。", "The certificate is suspended (as of the bundle)."),
    ),
    Code.NOT_SUSPENSION: Message(
        "证书未被暂停。", "The credential is not suspended.", offline=_STATUS_CLEAR_OFFLINE
    ),
    Code.NOT_OUR_ISSUER: Message(
        "签发者不是本平台登记的机构：本平台只能核对签名，无法核对登记记录、备案范围和状态。",
        "The issuer is not one registered here: only the signature could be checked here, "
        "not the registry record, the registered scope or the status.",
    ),
    Code.NOT_IN_REGISTRY: Message(
        "登记库中没有这份证书的签发记录：证书不可信。",
        "The registry never issued this credential: not genuine.",
        scanned=(
            "登记库中没有与此二维码对应的证书：证书不可信。",
            "The registry holds no certificate for this QR code: not genuine.",
        ),
    ),
    Code.DIGEST_MISMATCH: Message(
        "证书内容与登记库中签发的不一致：证书不可信。",
        "The credential differs from the one the registry issued under this id: not genuine.",
        scanned=(
            "二维码与登记的证书内容不一致：证书不可信。",
            "The QR code does not match the registered certificate: not genuine.",
        ),
    ),
    Code.UNNUMBERED_CERTIFICATE: Message(
        "这份凭证没有登记库编号，不是登记库签发的职业技能等级证书：不能作为证书使用。",
        "The registry gave this credential no number: it is not a skill certificate the registry "
        "issued, and cannot stand for one.",
    ),
    Code.REGISTERED: Message(
        "证书已在登记库中登记，内容与签发时一致。",
        "The registry issued this credential, exactly as presented.",
    ),
    Code.RECORD_DAMAGED: Message(
        "登记库中的证书记录异常，请联系发证机构核实。",
        "The registry's copy of this certificate is damaged; ask the issuer.",
    ),
    Code.OFFLINE: Message(
        "离线核验：二维码确认了证书编号 {number} 与发证日期 {issued_on}；持证人姓名等内容需联网核验。",
        "Offline: the QR code proves certificate {number} issued on {issued_on}; the holder's name and "
        "details need an online check.",
    ),
    Code.OUTSIDE_REGISTERED_SCOPE: Message(
        "发证时评价机构未备案该职业（工种）和等级，或未处于备案有效状态：证书无效。",
        "The organisation was not registered (or not active) for this occupation and level "
        "when it issued: not valid. ({refusals})",
    ),
    Code.WITHIN_REGISTERED_SCOPE: Message(
        "发证时评价机构已备案且状态有效，备案范围包含该职业（工种）和等级。",
        "The organisation was registered and active for this occupation and level when it issued.",
    ),
    Code.DATA_MODEL: Message(
        "证书数据格式不符合标准。", "The credential breaks the VC 2.0 data model: {detail}"
    ),
    Code.SCHEMA_UNKNOWN: Message("无法取得证书声明的数据格式。", "The declared schema {schema} is unknown."),
    Code.SCHEMA_MISMATCH: Message("证书数据不符合其声明的格式。", "{detail}"),
    Code.SCHEMA_VALID: Message("证书数据格式正确。", "The credential matches its data model and schema."),
    Code.TOKEN_INVALID: Message(
        "二维码不是本平台签发的，或已被改动：证书不可信。",
        "This QR code was not issued by this service or has been altered: not genuine.",
    ),
    Code.TOKEN_SIGNED: Message(
        "二维码由签发机构的密钥签名，未被改动。", "The QR code is signed by the issuer's key and unaltered."
    ),
    Code.RELATED_RESOURCES_MATCH: Message(
        "证书引用的关联资源写法正确；本平台保存的 {held} 项与其摘要一致。",
        "The related resources are well formed; the {held} this service holds match their digests.",
    ),
    Code.RELATED_RESOURCE_MALFORMED: Message(
        "证书声明的关联资源不符合标准：每项须是带唯一网址和摘要的对象。",
        "relatedResource breaks VC 2.0 §5.3: {detail}",
    ),
    Code.RELATED_RESOURCE_MISMATCH: Message(
        "证书引用的资源 {resource} 与证书中记录的摘要不一致：证书所依据的内容不是签发时的内容。",
        "The digest of the related resource {resource} does not match its content as held here: {detail}",
    ),
    Code.PRESENTATION_WELL_FORMED: Message(
        "出示文件的格式符合标准。", "The presentation conforms to the VC 2.0 data model."
    ),
    Code.PRESENTATION_DATA_MODEL: Message(
        "出示文件的格式不符合标准。", "The presentation breaks the VC 2.0 data model: {detail}"
    ),
    Code.ENVELOPED_UNSUPPORTED: Message(
        "这是以封装形式提交的文件，本平台无法核验这种签名方式。",
        "An enveloped document (e.g. a JWT): this service verifies Data Integrity proofs only.",
    ),
    Code.PRESENTATION_SIGNED: Message(
        "出示文件的数字签名正确，内容未被改动。", "The presentation's proof is valid; nothing was changed."
    ),
    Code.PRESENTATION_UNSIGNED: Message(
        "出示文件没有数字签名，无法确认是谁出示的。",
        "The presentation carries no proof: who presented it cannot be told.",
    ),
    Code.PRESENTATION_SIGNATURE_INVALID: Message(
        "出示文件的数字签名不正确：内容被改动过，或不是由出示人签名的。",
        "The presentation's proof does not verify ({detail}).",
    ),
    Code.HOLDER_KEY_UNKNOWN: Message(
        "无法取得出示人的公钥（本平台只认 did:key 形式的密钥和本平台登记的机构），不能核验出示文件的签名。",
        "The presenter's key cannot be had here (only did:key and this registry's issuers are known).",
    ),
    Code.NOT_FOR_AUTHENTICATION: Message(
        "出示文件的签名不是用于身份认证的签名，不能作为出示凭据。",
        "The presentation's proof is not an authentication proof (proofPurpose {purpose}).",
    ),
    Code.CHALLENGE_MATCHES: Message(
        "出示文件签名中的随机码与核验方给出的一致。", "The proof's challenge is the one given."
    ),
    Code.CHALLENGE_MISMATCH: Message(
        "出示文件签名中的随机码与核验方给出的不一致：可能是旧的出示文件被再次使用。",
        "The proof's challenge is not the one given (a replayed presentation?).",
    ),
    Code.DOMAIN_MATCHES: Message("出示文件是出示给本核验方的。", "The proof's domain is the one given."),
    Code.DOMAIN_MISMATCH: Message(
        "出示文件不是出示给本核验方的（域名不一致）。", "The proof's domain is not the one given."
    ),
    Code.HOLDER_SIGNED: Message(
        "出示文件由其声明的持有人 {holder} 签名。", "The presentation was signed by its holder {holder}."
    ),
    Code.HOLDER_MISMATCH: Message(
        "出示文件不是由其声明的持有人签名的。",
        "The presentation was not signed by its holder {holder} but by {signer}.",
    ),
    Code.CREDENTIAL_VERIFIED: Message(
        "第 {number} 份证书核验通过。", "Credential {number} passed every check asked for."
    ),
    Code.CREDENTIAL_NOT_VERIFIED: Message(
        "第 {number} 份证书未通过核验，详见该证书的各项结果。",
        "Credential {number} failed a check: see its own results.",
    ),
    Code.CREDENTIAL_CANNOT_TELL: Message(
        "第 {number} 份证书暂时无法判断，详见该证书的各项结果。",
        "Credential {number} cannot be told now: see its own results.",
    ),
}


@dataclass(frozen=True)
class CheckResult:
    check: Check
    outcome: Outcome
    code: AnyCode
    message_zh: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {
            "check": self.check.value,
            "outcome": self.outcome.value,
            "code": self.code.value,
            "message": self.message_zh,
            "message_en": self.message_en,
        }


def result(
    check: Check, outcome: Outcome, code: AnyCode, wording: Wording = Wording.CREDENTIAL, **values: Any
) -> CheckResult:
    """One check's result, worded from ``MESSAGES`` (``values`` fill its ``{name}`` fields)."""
    zh, en = MESSAGES[code].worded(wording)
    if not values:  # the table's own strings, shared by every result (settled ones are kept, decision 040)
        return CheckResult(check, outcome, code, zh, en.strip())
    return CheckResult(check, outcome, code, zh.format(**values), en.format(**values).strip())


@dataclass
class CheckList:
    """The checks of one verification, in the order they ran."""

    checks: list[CheckResult] = field(default_factory=list)

    def add(
        self,
        check: Check,
        outcome: Outcome,
        code: AnyCode,
        wording: Wording = Wording.CREDENTIAL,
        **values: Any,
    ) -> None:
        self.checks.append(result(check, outcome, code, wording, **values))


class Verdict(StrEnum):
    """The employer's answer, the same for a QR scan and for ``/credentials/verify``."""

    GENUINE = "genuine"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"
    NOT_GENUINE = "not_genuine"
    CANNOT_TELL = "cannot_tell"


# What ``options.checks`` may name (VC API verify options): a credential's checks, "status" for all three.
SELECTABLE_CHECKS: Final[dict[str, frozenset[Check]]] = {
    **{
        c.value: frozenset({c})
        for c in (
            Check.PROOF,
            Check.ISSUER_KEY,
            Check.ISSUER,
            Check.LOGGED,
            Check.RECORD,
            Check.SCOPE,
            Check.VALIDITY_PERIOD,
            Check.SCHEMA,
            Check.RELATED_RESOURCE,
            Check.STATUS_REVOCATION,
            Check.STATUS_SUSPENSION,
        )
    },
    Check.STATUS.value: frozenset({Check.STATUS, Check.STATUS_REVOCATION, Check.STATUS_SUSPENSION}),
}


def selected_checks(names: list[str] | None) -> tuple[frozenset[Check] | None, list[tuple[int, str]]]:
    """The checks ``options.checks`` asks for (None: every check), and the (index, name) of each
    name that is no check of ours."""
    if names is None:
        return None, []
    unknown = [(i, name) for i, name in enumerate(names) if name not in SELECTABLE_CHECKS]
    chosen = frozenset(c for name in names if name in SELECTABLE_CHECKS for c in SELECTABLE_CHECKS[name])
    return chosen, unknown


def proof_binding(expected: str | None, claimed: Any) -> bool | None:
    """A proof's ``challenge`` or ``domain`` against what the verifier gave (Data Integrity §2.1:
    ``domain`` is one string or a list): None when nothing was given to compare with."""
    if expected is None:
        return None
    return expected == claimed or (isinstance(claimed, list) and expected in claimed)


def holder_id(holder: Any) -> str | None:
    """The presentation's holder: a URL, or the ``id`` of a holder object."""
    found = holder.get("id") if isinstance(holder, dict) else holder
    return found if isinstance(found, str) else None


# A failure of any of these means the certificate is not what it claims to be.
AUTHENTICITY_CHECKS = frozenset(
    {Check.TOKEN, Check.RECORD, Check.LOGGED, Check.PROOF, Check.ISSUER_KEY, Check.ISSUER, Check.SCOPE}
)
# Per status purpose (Bitstring Status List §2.1): its check, the code when the bit is set, when clear.
STATUS_PURPOSES: Final[dict[str, tuple[Check, Code, Code]]] = {
    StatusPurpose.REVOCATION: (Check.STATUS_REVOCATION, Code.REVOCATION, Code.NOT_REVOCATION),
    StatusPurpose.SUSPENSION: (Check.STATUS_SUSPENSION, Code.SUSPENSION, Code.NOT_SUSPENSION),
}
FLAGGED_STATES: Final[tuple[tuple[Code, CertificateState], ...]] = (
    (Code.REVOCATION, CertificateState.REVOKED),
    (Code.SUSPENSION, CertificateState.SUSPENDED),
)


def flagged_state(checks: list[CheckResult]) -> CertificateState:
    """The state that failed status checks say (revoked above suspended), without a registry."""
    flagged = {c.code for c in checks if c.outcome is Outcome.INVALID}
    return next((state for code, state in FLAGGED_STATES if code in flagged), CertificateState.VALID)


def verdict_of(checks: list[CheckResult], state: CertificateState | None) -> Verdict:
    """Not genuine > revoked/superseded > suspended > expired > cannot tell (not yet valid too) > genuine.

    ``state``: the registry's reading of the status bits, which tells a correction (superseded)
    from a revocation; without a registry the failed status checks say it.
    """
    failed = [c for c in checks if c.outcome is Outcome.INVALID]
    if any(c.check in AUTHENTICITY_CHECKS for c in failed):
        return Verdict.NOT_GENUINE
    state = flagged_state(checks) if state is None else state
    if state != CertificateState.VALID:
        return Verdict(state)
    if any(c.code is Code.EXPIRED for c in failed):
        return Verdict.EXPIRED
    if any(c.outcome is not Outcome.VALID for c in checks):
        return Verdict.CANNOT_TELL
    return Verdict.GENUINE
