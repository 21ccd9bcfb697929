"""The department's forms: objections, name corrections, batch revocation (/admin)."""

from __future__ import annotations

ZH: dict[str, str] = {
    "nav_objections": "公示异议",
    "objections_title": "公示异议",
    "objections_lead": "公示期内收到的异议，未处理的在前。异议未处理时该考生暂缓发证；"
    "异议成立则不予发证，不成立则可以发证。",
    "no_objections": "没有收到异议。",
    "objection_done_upheld": "已处理：异议成立，该考生不予发证。",
    "objection_done_dismissed": "已处理：异议不成立，该考生可以发证。",
    "resolve_decision": "处理结果",
    "resolve_uphold": "异议成立（不予发证）",
    "resolve_dismiss": "异议不成立（可以发证）",
    "resolve_resolution": "处理意见（核查情况和依据）",
    "resolve_submit": "提交处理结果",
    "resolve_form": "处理",
    "correction_title": "更正持证人姓名",
    "correction_lead": "签发一张姓名更正后的新证书（新编号，载明所更正的原证书），原证书作废。"
    "只能更正有效的证书。",
    "holder_name": "更正后的姓名",
    "correction_submit": "更正并换发",
    "corrected_done": "已更正换发：新证书编号 {number}，原证书已作废。",
    "batch_revoke_title": "撤销本批次全部证书",
    "batch_revoke_note": "撤销不可恢复；凭这些证书发放的补贴将列入应追回补贴。",
    "batch_revoke_submit": "撤销整批证书",
    "batch_revoked_done": "已撤销批次 {batch} 的全部证书。",
}
EN: dict[str, str] = {
    "nav_objections": "Objections",
    "objections_title": "Objections during publicity",
    "objections_lead": "Objections lodged during publicity, open ones first. While one is open the "
    "candidate is held back; upheld: no certificate; dismissed: the certificate may be issued.",
    "no_objections": "No objections.",
    "objection_done_upheld": "Done: the objection is upheld; the candidate gets no certificate.",
    "objection_done_dismissed": "Done: the objection is dismissed; the certificate may be issued.",
    "resolve_decision": "Decision",
    "resolve_uphold": "Upheld (no certificate)",
    "resolve_dismiss": "Dismissed (may be issued)",
    "resolve_resolution": "Grounds (what was checked, on what basis)",
    "resolve_submit": "Record the decision",
    "resolve_form": "Decision",
    "correction_title": "Correct a holder's name",
    "correction_lead": "Issues a new certificate with the corrected name (a new number, naming the old "
    "certificate); the old one is void. Only a valid certificate can be corrected.",
    "holder_name": "Corrected name",
    "correction_submit": "Correct and re-issue",
    "corrected_done": "Corrected: new certificate {number}; the old one is void.",
    "batch_revoke_title": "Revoke every certificate of this batch",
    "batch_revoke_note": "Revocation is final; subsidies paid on these certificates are listed for recovery.",
    "batch_revoke_submit": "Revoke the batch",
    "batch_revoked_done": "Every certificate of batch {batch} is revoked.",
}
