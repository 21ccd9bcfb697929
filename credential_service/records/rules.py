"""Pure rules of the lifelong file: entry kinds and the hash chain."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from credential_service.core.clock import to_xsd
from credential_service.crypto.jcs import canonical_json

GENESIS = "0" * 64


class EntryKind(StrEnum):
    ENROLMENT = "training_enrolment"  # 培训报名
    ATTENDANCE = "attendance"  # 考勤
    COMPLETION = "training_completion"  # 结业
    EXAM_RESULT = "exam_result"  # 考核成绩
    CERTIFICATE_ISSUED = "certificate_issued"  # 本平台签发的证书
    CERTIFICATE_RECORDED = "certificate_recorded"  # 其他来源的证书 (职业资格/专项能力/培训合格)
    CERTIFICATE_STATUS = "certificate_status"  # 撤销/暂停/恢复/更正
    SUBSIDY_CLAIM = "subsidy_claim"  # 补贴申领 (and the rules' answer)
    SUBSIDY_DECISION = "subsidy_decision"  # 补贴审核 (an officer's refusal; an approval pays)
    SUBSIDY_PAID = "subsidy_paid"  # 补贴发放
    SUBSIDY_RECOVERY = "subsidy_recovery"  # 补贴追回 (flagged, recovered or waived)
    CORRECTION = "correction"  # 更正 (supersedes an earlier entry)


ENTRY_TITLES = {
    EntryKind.ENROLMENT: ("培训报名", "Training enrolment"),
    EntryKind.ATTENDANCE: ("培训考勤", "Attendance"),
    EntryKind.COMPLETION: ("培训结业", "Training completed"),
    EntryKind.EXAM_RESULT: ("考核成绩", "Exam result"),
    EntryKind.CERTIFICATE_ISSUED: ("获得证书", "Certificate issued"),
    EntryKind.CERTIFICATE_RECORDED: ("证书登记", "Certificate recorded"),
    EntryKind.CERTIFICATE_STATUS: ("证书状态变更", "Certificate status changed"),
    EntryKind.SUBSIDY_CLAIM: ("补贴申领", "Subsidy claimed"),
    EntryKind.SUBSIDY_DECISION: ("补贴审核", "Subsidy decided"),
    EntryKind.SUBSIDY_PAID: ("补贴发放", "Subsidy paid"),
    EntryKind.SUBSIDY_RECOVERY: ("补贴追回", "Subsidy recovery"),
    EntryKind.CORRECTION: ("更正", "Correction"),
}


@dataclass(frozen=True)
class ChainedFields:
    """Everything an entry's hash covers (the person is implied by the chain it is in)."""

    seq: int
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    source: str
    payload: str
    supersedes_seq: int | None
    reason: str | None


def entry_hash(prev_hash: str, fields: ChainedFields) -> str:
    """SHA-256 over the previous hash and the canonical JSON of the entry."""
    body = canonical_json(
        {
            "seq": fields.seq,
            "kind": fields.kind,
            "occurredAt": to_xsd(fields.occurred_at),
            "recordedAt": to_xsd(fields.recorded_at),
            "source": fields.source,
            "payload": fields.payload,
            "supersedes": fields.supersedes_seq,
            "reason": fields.reason,
        }
    )
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + body).hexdigest()
