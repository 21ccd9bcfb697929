"""Errors of the transparency log (typed, so callers and tests tell them apart by class and code)."""

from __future__ import annotations

from credential_service.core.errors import Conflict, NotFound, ServiceError


class LogDamaged(ServiceError):
    """The log's own storage is inconsistent (a stored node is missing): ``log verify`` says where."""

    def __init__(self, message: str) -> None:
        super().__init__(
            message=f"透明日志存储已损坏，请运行 credential-service log verify / the log storage is damaged "
            f"({message}): run credential-service log verify",
            code="log_damaged",
            status=503,
        )


class LogTruncated(Conflict):
    """Storage holds fewer leaves than a checkpoint already signed: someone removed rows."""

    def __init__(self, size: int, signed: int) -> None:
        super().__init__(
            f"日志只剩 {size} 条，少于已签名的 {signed} 条 / the log holds {size} leaves, fewer "
            f"than checkpoint {signed} signed: run credential-service log verify",
            code="log_truncated",
        )


class CheckpointNotFound(NotFound):
    """No signed checkpoint of that size (``size`` None: none signed yet)."""

    def __init__(self, size: int | None = None) -> None:
        super().__init__(
            "尚无已签名的检查点 / no checkpoint has been signed yet"
            if size is None
            else f"没有树大小为 {size} 的已签名检查点 / no signed checkpoint of size {size}",
            code="checkpoint_not_found",
        )


class NotYetInCheckpoint(Conflict):
    """The leaf is logged but no signed checkpoint covers it yet (``size`` None: none signed yet)."""

    def __init__(self, leaf_index: int, size: int | None = None) -> None:
        super().__init__(
            "尚无已签名的检查点 / no checkpoint has been signed yet"
            if size is None
            else f"该记录（日志序号 {leaf_index}）尚未进入已签名的检查点（共 {size} 条），请稍后再试 / "
            f"log index {leaf_index} is not yet in the signed checkpoint of size {size}",
            code="not_yet_in_checkpoint",
        )


class LeafNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "透明日志中没有这条记录 / no such entry in the transparency log", code="leaf_not_found"
        )
