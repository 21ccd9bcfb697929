"""Read the printed fields of a certificate back out of its signed OB 3.0 credential (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from credential_service.certificates.credential import NO_SUBTYPE, Occupation
from credential_service.certificates.rules import SkillLevel
from credential_service.core.clock import beijing_date, parse_xsd


@dataclass(frozen=True)
class CertificateFields:
    certificate_number: str
    holder_name: str
    occupation_code: str
    occupation_name: str
    subtype: str  # "--" when there is none
    level: SkillLevel
    issuer_did: str
    issuer_name: str
    issued_on: date  # Beijing date of awardedDate / validFrom
    exam_date: date | None

    @property
    def occupation(self) -> Occupation:
        subtype = None if self.subtype == NO_SUBTYPE else self.subtype
        return Occupation(self.occupation_code, self.occupation_name, subtype)


def certificate_fields(credential: dict[str, Any]) -> CertificateFields:
    """Raises KeyError/ValueError/TypeError for a credential that is not one of our certificates."""
    subject = credential["credentialSubject"]
    achievement = subject["achievement"]
    alignment = achievement["alignment"][0]
    issuer = credential["issuer"]
    ended = subject.get("activityEndDate")
    return CertificateFields(
        certificate_number=str(subject["licenseNumber"]),
        holder_name=str(subject["name"]),
        occupation_code=str(alignment["targetCode"]),
        occupation_name=str(alignment["targetName"]),
        subtype=str(achievement.get("specialization") or NO_SUBTYPE),
        level=SkillLevel(int(str(subject["result"][0]["achievedLevel"]).rsplit("#", 1)[-1])),
        issuer_did=str(issuer["id"] if isinstance(issuer, dict) else issuer),
        issuer_name=str(issuer.get("name", "") if isinstance(issuer, dict) else ""),
        issued_on=beijing_date(parse_xsd(credential.get("awardedDate") or credential["validFrom"])),
        exam_date=date.fromisoformat(ended[:10]) if isinstance(ended, str) else None,
    )
