"""Why a worker's or a share link's request is refused."""

from __future__ import annotations

from credential_service.core.errors import NotFound


class ShareLinkGone(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "分享链接已失效或不存在 / this share link has expired, was withdrawn, or never existed",
            code="share_link_gone",
        )
        self.status = 410
