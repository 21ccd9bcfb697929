"""Build the Open Badges 3.0 credential of a 职业技能等级证书 (pure: no I/O, no signing)."""

from __future__ import annotations

import posixpath
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from urllib.parse import quote, unquote, urlsplit

from credential_service.certificates.rules import SkillLevel
from credential_service.core.clock import to_xsd
from credential_service.core.errors import FieldError
from credential_service.core.inputs import OCCUPATION_CODE
from credential_service.identity.rules import ID_NUMBER_REFUSED, id_number_locations

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CERTIFICATE_NAME = "职业技能等级证书"
SKILL_CERTIFICATE_SCHEMA = "schemas/skill-certificate-v2.json"
OCCUPATION_FRAMEWORK = "中华人民共和国职业分类大典（2022年版）"
NO_SUBTYPE = "--"  # 工种 is printed "--" when there is none, never left blank


@dataclass(frozen=True)
class Occupation:
    code: str  # 6-18-01-01
    name: str  # 车工
    subtype: str | None = None  # 工种

    def __post_init__(self) -> None:
        if not OCCUPATION_CODE.match(self.code):
            raise ValueError("occupation code must look like 6-18-01-01")


@dataclass(frozen=True)
class ReplacedCertificate:
    """The certificate that a corrected one replaces (更正换发), named in the new one's ``evidence``."""

    certificate_number: str
    credential_id: str  # urn:uuid:…
    corrected_zh: str  # what was corrected, e.g. "姓名"
    corrected_en: str  # e.g. "holder name"


@dataclass(frozen=True)
class SkillCertificate:
    """Everything printed on a certificate, minus what is only on paper (photo, ID number): nothing
    derived from the ID number enters the credential (docs/decisions/022)."""

    certificate_number: str
    issuer_did: str
    issuer_name: str  # exactly as registered (备案名称)
    holder_name: str
    occupation: Occupation
    level: SkillLevel
    issued_at: datetime
    exam_date: date | None = None
    replaces: ReplacedCertificate | None = None

    @classmethod
    def issued(
        cls,
        number: str,
        issuer: RegisteredIssuer,
        holder_name: str,
        *,
        occupation: Occupation,
        level: SkillLevel,
        at: datetime,
        exam_date: date | None,
    ) -> SkillCertificate:
        """Certificate ``number`` of ``holder_name``, issued ``at`` in the organisation's name."""
        return cls(number, issuer.did, issuer.name, holder_name, occupation, level, at, exam_date)


class RegisteredIssuer(Protocol):
    """What a certificate takes from its issuer's registration."""

    @property
    def did(self) -> str: ...

    @property
    def name(self) -> str: ...


def skill_certificate_credential(cert: SkillCertificate, *, public_base_url: str) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential (VC 2.0) for ``cert``; status entries are added at issuance."""
    base = public_base_url.rstrip("/")
    levels_id = f"{base}/levels"
    subject: dict[str, Any] = {
        # OB 3.0 asks for an id or an identifier: a random one, so two certificates of one
        # person cannot be linked and nothing in it leads back to the ID number.
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["AchievementSubject"],
        "name": cert.holder_name,
        "licenseNumber": cert.certificate_number,  # 证书编号
        "achievement": _achievement(cert, base, levels_id),
        "result": [
            {
                "type": ["Result"],
                "resultDescription": levels_id,
                "achievedLevel": f"{levels_id}#{int(cert.level)}",
            }
        ],
    }
    if cert.exam_date is not None:
        subject["activityEndDate"] = f"{cert.exam_date.isoformat()}T00:00:00+08:00"
    credential: dict[str, Any] = {
        "@context": [VC_V2, OB_V3],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": CERTIFICATE_NAME,
        "issuer": {"id": cert.issuer_did, "type": ["Profile"], "name": cert.issuer_name},
        "validFrom": to_xsd(cert.issued_at),
        "awardedDate": to_xsd(cert.issued_at),
        "credentialSubject": subject,
        "credentialSchema": [{"id": f"{base}/{SKILL_CERTIFICATE_SCHEMA}", "type": "JsonSchema"}],
    }
    if cert.replaces is not None:
        credential["evidence"] = [replaced_evidence(cert.replaces)]
    return credential


def _achievement(cert: SkillCertificate, base: str, levels_id: str) -> dict[str, Any]:
    """The Achievement: the occupation (职业分类大典), its 工种 and the level, with the pass rule."""
    occupation_url = f"{base}/occupations/{cert.occupation.code}"
    achievement_id = occupation_url
    if cert.occupation.subtype:
        achievement_id += f"/subtypes/{quote(cert.occupation.subtype, safe='')}"
    achievement_id += f"/levels/{int(cert.level)}"
    level_title = cert.level.title_zh
    subtype = cert.occupation.subtype or NO_SUBTYPE
    return {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": f"{cert.occupation.name}（{level_title}）",
        "description": (
            f"{CERTIFICATE_NAME}：职业 {cert.occupation.name}（{cert.occupation.code}），"
            f"工种 {subtype}，等级 {level_title}"
        ),
        "criteria": {
            "narrative": (
                f"按国家职业技能标准《{cert.occupation.name}》{level_title}要求考核，"
                "理论知识、技能操作"
                + ("、综合评审" if cert.level <= SkillLevel.LEVEL_2 else "")
                + "各项成绩均达到 60 分及以上。"
            )
        },
        "humanCode": cert.occupation.code,
        "specialization": subtype,
        "alignment": [
            {
                "type": ["Alignment"],
                "targetName": cert.occupation.name,
                "targetCode": cert.occupation.code,
                "targetFramework": OCCUPATION_FRAMEWORK,
                "targetUrl": occupation_url,
            }
        ],
        "resultDescription": [_levels_description(levels_id)],
    }


def _levels_description(levels_id: str) -> dict[str, Any]:
    """The five national levels as an OB 3.0 rubric (五级 … 一级)."""
    return {
        "id": levels_id,
        "type": ["ResultDescription"],
        "name": "职业技能等级",
        "resultType": "RubricCriterionLevel",
        "rubricCriterionLevel": [
            {
                "id": f"{levels_id}#{int(level)}",
                "type": ["RubricCriterionLevel"],
                "name": level.title_zh,
                "level": str(int(level)),
            }
            for level in sorted(SkillLevel, reverse=True)
        ],
    }


def replaced_evidence(old: ReplacedCertificate) -> dict[str, Any]:
    """OB 3.0 ``Evidence`` naming the certificate a corrected one replaces (decision 014).

    Only terms the pinned contexts define (VC 2.0 ``evidence``; OB 3.0 ``Evidence`` with ``name``,
    ``description``, ``genre``), so JSON-LD safe mode accepts it and any verifier reads it. The
    ``id`` is the old credential's id: a program can follow it without parsing the text.
    """
    return {
        "id": old.credential_id,
        "type": ["Evidence"],
        "name": f"更正前的证书 {old.certificate_number} / certificate replaced: {old.certificate_number}",
        "description": (
            f"本证书更正（{old.corrected_zh}）并取代证书编号 {old.certificate_number}"
            f"（凭证 {old.credential_id}），原证书已撤销。 / This certificate corrects the "
            f"{old.corrected_en} of certificate {old.certificate_number} (credential "
            f"{old.credential_id}) and replaces it; the old one is revoked."
        ),
        "genre": "更正换发 / correction",
    }


def names_only(name: Any, registered_name: str) -> bool:
    """Whether ``issuer.name`` says the registered name and nothing else, in any form VC DM 2.0
    §4.6 allows: a string, a language value object (``{"@value", "@language"}``, maybe with
    ``@direction``), or a list of them. Whether the form is well made is the data model's check."""
    names = name if isinstance(name, list) else [name]
    return bool(names) and all(
        (item.get("@value") if isinstance(item, dict) else item) == registered_name for item in names
    )


def registry_only_problems(credential: dict[str, Any], registered_name: str) -> list[FieldError]:
    """What a caller of ``/credentials/issue`` may not write, because only the registry may say it
    (decision 022): a 职业技能等级证书 (its number, name, schema or occupation alignment: those come
    from the evaluation workflow only), an issuer name other than the registered one, and a clear
    ID number anywhere."""
    problems: list[FieldError] = []
    issuer = credential.get("issuer")
    if isinstance(issuer, dict) and "name" in issuer and not names_only(issuer["name"], registered_name):
        problems.append(
            FieldError("issuer.name", f"以备案名称为准：{registered_name} / must be the registered name")
        )
    only_by_workflow = (
        "职业技能等级证书只能经评价结果公示后由本平台签发 / skill certificates are issued by the "
        "evaluation workflow only"
    )
    if credential.get("name") == CERTIFICATE_NAME:
        problems.append(FieldError("name", only_by_workflow))
    for i, schema in enumerate(_as_list(credential.get("credentialSchema"))):
        if isinstance(schema, dict) and "/schemas/skill-certificate-" in str(schema.get("id", "")):
            problems.append(FieldError(f"credentialSchema[{i}].id", only_by_workflow))
    for i, subject in enumerate(_as_list(credential.get("credentialSubject"))):
        if not isinstance(subject, dict):
            continue
        if "licenseNumber" in subject:
            problems.append(
                FieldError(
                    f"credentialSubject[{i}].licenseNumber",
                    "证书编号由登记库按国家规则分配，不能由调用方填写 / certificate numbers are allocated by "
                    "the registry, never supplied",
                )
            )
        achievement = subject.get("achievement")
        alignments = _as_list(achievement.get("alignment")) if isinstance(achievement, dict) else []
        if any(isinstance(a, dict) and a.get("targetFramework") == OCCUPATION_FRAMEWORK for a in alignments):
            problems.append(FieldError(f"credentialSubject[{i}].achievement.alignment", only_by_workflow))
    problems.extend(FieldError(where, ID_NUMBER_REFUSED) for where in id_number_locations(credential))
    return problems


OB_LICENSE_NUMBER = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#licenseNumber"
FRAMEWORK_MARK = "职业分类大典"


# Letters that show nothing: dropped with the invisible categories before comparing what a reader sees.
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0")
SCHEMA_NAME = "https://schema.org/name"
SCHEMA_FRAMEWORK = "https://schema.org/targetFramework"


def _plain(text: str) -> str:
    """Text as a reader sees it: NFKC, without invisible characters, combining marks, fillers or
    spaces."""
    return "".join(
        ch
        for ch in unicodedata.normalize("NFKC", text)
        if unicodedata.category(ch) not in ("Cf", "Zs", "Cc", "Mn", "Me") and ch not in _FILLERS
    )


def _plain_iri(iri: str) -> str:
    """An IRI as a server resolves it: scheme and host in lower case, percent-escapes and dot
    segments resolved."""
    parts = urlsplit(unquote(iri))
    path = posixpath.normpath(parts.path) if parts.path else ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}"


# Where credentials embed others: VC 2.0's and CLR 2.0's ``verifiableCredential``.
EMBEDDING = frozenset(
    {
        "https://www.w3.org/2018/credentials#verifiableCredential",
        "https://purl.imsglobal.org/spec/vc/clr/vocab.html#verifiableCredential",
    }
)


def skill_certificate_claims(
    expanded: Any, public_base_url: str, *, inside_embedded: bool = True
) -> dict[str, str]:
    """What a credential says, in its expanded JSON-LD form, that only a numbered 职业技能等级证书 may
    say — whatever keys, aliases, inline contexts, full IRIs or invisible characters carry it
    (decision 022). Keys: ``licenseNumber``, ``name`` (a name that is the certificate's),
    ``framework`` (an alignment to the occupation classification) and ``address`` (this service's
    occupation, level or certificate-schema IRIs); values say it in Chinese. A description may
    mention a certificate (a course preparing for one). ``inside_embedded=False`` skips embedded
    credentials (a CLR's certificates), which are checked on their own."""
    ours = tuple(
        _plain_iri(public_base_url.rstrip("/") + path)
        for path in ("/occupations/", "/levels", "/schemas/skill-certificate-")
    )
    found: dict[str, str] = {}

    def text_of(values: Any) -> list[str]:
        items = values if isinstance(values, list) else [values]
        return [
            _plain(v["@value"]) for v in items if isinstance(v, dict) and isinstance(v.get("@value"), str)
        ]

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            if key in EMBEDDING and not inside_embedded:
                continue
            if key == OB_LICENSE_NUMBER:
                found["licenseNumber"] = "证书编号（licenseNumber）"
            if key == SCHEMA_NAME and any(CERTIFICATE_NAME in text for text in text_of(value)):
                found["name"] = f"证书名称“{CERTIFICATE_NAME}”"
            if key == SCHEMA_FRAMEWORK and any(FRAMEWORK_MARK in text for text in text_of(value)):
                found["framework"] = f"职业分类“{OCCUPATION_FRAMEWORK}”"
            for iri in _iris(key, value):
                if _plain_iri(iri).startswith(ours):
                    found["address"] = f"本平台的职业、等级或证书格式地址 {iri}"
            walk(value)

    walk(expanded)
    return found


def _iris(key: str, value: Any) -> list[str]:
    """The IRIs a node names with ``key``: its own ``@id``/``@type``, or the property itself."""
    if key in ("@id", "@type"):
        return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
    return [] if key.startswith("@") else [key]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
