"""The registry of checks: each named, versioned, described in Chinese, with the facts it reads, the
evidence it keeps and its severity. Bump a check's version whenever what it finds changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from credential_service.supervision.rules import certificates, people, population, training
from credential_service.supervision.rules.cases import Finding, Severity
from credential_service.supervision.rules.facts import Facts


class Reads(StrEnum):
    """The kinds of facts a check reads (the loader fills only these)."""

    CLASSES = "classes"
    ENROLMENTS = "enrolments"
    CHECKINS = "checkins"
    COMPLETIONS = "completions"
    PERSONS = "persons"
    CERTIFICATES = "certificates"
    SCOPES = "scopes"
    CANDIDATES = "candidates"
    CLAIMS = "claims"
    PAYMENTS = "payments"


class Trigger(StrEnum):
    """What arriving data runs a check incrementally; POPULATION: only the full scan runs it."""

    ENROLMENT = "enrolment"
    ATTENDANCE = "attendance"
    COMPLETION = "completion"
    CERTIFICATE = "certificate"
    POPULATION = "population"


@dataclass(frozen=True)
class CheckSpec:
    code: str
    version: int
    title: str  # 中文名称
    description: str  # 中文说明: what it looks for, and the threshold
    reads: frozenset[Reads]
    evidence: str  # 中文: what the case keeps
    severity: Severity
    triggers: frozenset[Trigger]
    run: Callable[[Facts], Iterable[Finding]]


R, T, S = Reads, Trigger, Severity
_TRAINING = frozenset({R.CLASSES, R.CHECKINS, R.PERSONS})

CHECKS: dict[str, CheckSpec] = {
    spec.code: spec
    for spec in (
        CheckSpec(
            "person_overlapping_classes",
            1,
            "同一时段参加多个培训班",
            "同一学员报名的两个培训班的培训期间重叠。",
            frozenset({R.CLASSES, R.ENROLMENTS, R.PERSONS}),
            "两条报名记录",
            S.MEDIUM,
            frozenset({T.ENROLMENT}),
            training.person_overlapping_classes,
        ),
        CheckSpec(
            "attendance_distant_checkins",
            1,
            "异地考勤",
            "同一学员相邻两次考勤相距 30 公里以上，且所需速度超过每小时 150 公里。",
            _TRAINING,
            "两次考勤记录（时间、地点、坐标）",
            S.HIGH,
            frozenset({T.ATTENDANCE}),
            training.attendance_distant_checkins,
        ),
        CheckSpec(
            "class_identical_checkin_times",
            1,
            "同一秒批量签到",
            "同一培训班 3 名以上学员在同一秒签到（整分钟的时间是在培训班页面上统一登记的点名，不计）。",
            _TRAINING,
            "同一秒的考勤记录",
            S.HIGH,
            frozenset({T.ATTENDANCE}),
            training.class_identical_checkin_times,
        ),
        CheckSpec(
            "device_shared_across_trainees",
            1,
            "一机多签",
            "同一部个人设备（扫码、电子社保卡）为 3 名以上学员签到；机构的人脸识别终端和刷卡机不计。",
            _TRAINING,
            "该设备的考勤记录",
            S.HIGH,
            frozenset({T.ATTENDANCE}),
            training.device_shared_across_trainees,
        ),
        CheckSpec(
            "face_shared_across_trainees",
            1,
            "一脸多用",
            "同一张考勤照片（摘要相同）用于 2 名以上学员。",
            _TRAINING,
            "使用该照片的考勤记录",
            S.HIGH,
            frozenset({T.ATTENDANCE}),
            training.face_shared_across_trainees,
        ),
        CheckSpec(
            "attendance_outside_class_hours",
            1,
            "非上课时间考勤",
            "考勤时间在北京时间 22 时至次日 6 时之间。",
            _TRAINING,
            "夜间的考勤记录",
            S.MEDIUM,
            frozenset({T.ATTENDANCE}),
            training.attendance_outside_class_hours,
        ),
        CheckSpec(
            "attendance_below_plan",
            1,
            "课时不足仍结业",
            "结业考核合格，但实际课时不足计划课时的 80%。",
            frozenset({R.CLASSES, R.COMPLETIONS, R.PERSONS}),
            "结业记录",
            S.MEDIUM,
            frozenset({T.COMPLETION}),
            training.attendance_below_plan,
        ),
        CheckSpec(
            "teacher_two_classes_at_once",
            1,
            "教师同时段两地授课",
            "同一授课教师的两个培训班在同一小时内于不同地点有学员签到。",
            _TRAINING,
            "两班同一时段的考勤记录",
            S.MEDIUM,
            frozenset({T.ATTENDANCE}),
            training.teacher_two_classes_at_once,
        ),
        CheckSpec(
            "class_before_approval",
            1,
            "先开班后审批",
            "培训班开班日期或首次考勤早于审批（备案）日期。",
            _TRAINING,
            "培训班的开班与审批日期",
            S.MEDIUM,
            frozenset({T.ATTENDANCE, T.ENROLMENT}),
            training.class_before_approval,
        ),
        CheckSpec(
            "class_over_capacity",
            1,
            "超场地容量",
            "同一天签到的学员人数超过场地容量。",
            _TRAINING,
            "当天的考勤记录",
            S.MEDIUM,
            frozenset({T.ATTENDANCE}),
            training.class_over_capacity,
        ),
        CheckSpec(
            "age_out_of_range",
            1,
            "年龄不符",
            "报名时未满 16 周岁，或报名就业技能培训时已达法定退休年龄（渐进式延迟退休规定）。",
            frozenset({R.CLASSES, R.ENROLMENTS, R.PERSONS}),
            "报名记录",
            S.MEDIUM,
            frozenset({T.ENROLMENT}),
            people.age_out_of_range,
        ),
        CheckSpec(
            "certificate_duplicate",
            1,
            "重复发证",
            "同一人持有两张以上相同职业、工种和等级的有效证书。",
            frozenset({R.CERTIFICATES, R.PERSONS}),
            "各张证书",
            S.HIGH,
            frozenset({T.CERTIFICATE}),
            certificates.certificate_duplicate,
        ),
        CheckSpec(
            "certificate_outside_scope",
            1,
            "超范围发证",
            "证书的职业、工种或等级在颁发之日不在评价机构的备案范围内。",
            frozenset({R.CERTIFICATES, R.SCOPES}),
            "证书",
            S.HIGH,
            frozenset({T.CERTIFICATE}),
            certificates.certificate_outside_scope,
        ),
        CheckSpec(
            "certificate_before_exam_or_training_end",
            1,
            "考核或培训结束前发证",
            "证书颁发早于考核日期，或考核早于持证人所学同职业培训班的结业日期。",
            frozenset({R.CERTIFICATES, R.CLASSES, R.COMPLETIONS, R.PERSONS}),
            "证书与结业记录",
            S.HIGH,
            frozenset({T.CERTIFICATE}),
            certificates.certificate_before_exam_or_training_end,
        ),
        CheckSpec(
            "scores_changed_after_publicity",
            1,
            "公示后改分",
            "考生成绩与公示时档案记录的成绩不一致，或公示后同一计划重新报送了不同成绩。",
            frozenset({R.CANDIDATES, R.PERSONS}),
            "公示时与现在的成绩",
            S.HIGH,
            frozenset({T.CERTIFICATE}),
            certificates.scores_changed_after_publicity,
        ),
        CheckSpec(
            "pass_rate_outlier",
            1,
            "通过率异常偏高",
            "某评价机构某职业等级的通过率高于其他机构合计 10 个百分点以上，且单侧精确二项检验显著"
            "（双方各至少 30 人，族错误率 1%，Bonferroni 校正）。",
            frozenset({R.CANDIDATES}),
            "通过率与检验结果",
            S.LOW,
            frozenset({T.POPULATION}),
            population.pass_rate_outlier,
        ),
        CheckSpec(
            "subsidy_rule_violation",
            1,
            "违规发放补贴",
            "已发放的补贴有刚性规则未通过，或发放没有经批准的申请、金额不符。",
            frozenset({R.CLAIMS, R.PAYMENTS, R.PERSONS}),
            "补贴申请与发放记录",
            S.HIGH,
            frozenset({T.POPULATION}),
            population.subsidy_rule_violation,
        ),
        CheckSpec(
            "shared_contact_or_account",
            1,
            "多人共用账户",
            "两名以上人员的补贴发放至同一个社会保障卡金融账户。",
            frozenset({R.PAYMENTS, R.PERSONS}),
            "发放记录（账户不显示）",
            S.HIGH,
            frozenset({T.POPULATION}),
            population.shared_contact_or_account,
        ),
        CheckSpec(
            "volume_spike",
            1,
            "数量激增",
            "培训机构月报名人次或评价机构月发证数达到前三个月月均的 3 倍以上，且不少于 30。",
            frozenset({R.CLASSES, R.ENROLMENTS, R.CERTIFICATES}),
            "按月统计",
            S.LOW,
            frozenset({T.POPULATION}),
            population.volume_spike,
        ),
    )
}


def checks_for(triggers: Iterable[Trigger]) -> list[CheckSpec]:
    """The checks that arriving data of these kinds runs, in registry order."""
    wanted = set(triggers)
    return [spec for spec in CHECKS.values() if spec.triggers & wanted]


def reads_of(specs: Iterable[CheckSpec]) -> frozenset[Reads]:
    return frozenset(r for spec in specs for r in spec.reads)
