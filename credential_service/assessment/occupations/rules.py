"""The small built-in occupation set (职业分类大典 2022) used by the demo and tests.

The full catalogue is imported as data (`credential-service occupations import`, issue 4).
"""

from __future__ import annotations

from credential_service.certificates.credential import Occupation

BUILTIN_OCCUPATIONS: tuple[Occupation, ...] = (
    Occupation("6-18-01-01", "车工"),
    Occupation("6-18-02-04", "焊工", "电焊工"),
    Occupation("6-31-01-03", "电工"),
    Occupation("6-20-01-01", "装配钳工"),
    Occupation("4-12-01-01", "汽车维修工", "汽车机械维修工"),
    Occupation("4-03-02-01", "中式烹调师"),
    Occupation("4-10-01-05", "养老护理员"),
    Occupation("4-10-01-06", "家政服务员"),
    Occupation("4-01-06-02", "互联网营销师", "直播销售员"),
    Occupation("4-04-05-05", "人工智能训练师", "数据标注员"),
)


def builtin_occupation(code: str) -> Occupation:
    for occupation in BUILTIN_OCCUPATIONS:
        if occupation.code == code:
            return occupation
    raise KeyError(code)
