"""What a worker reports when it completes a job, read from its JSON body (the API's names):
an archive job's ``video``/``channel``/``files``/``skipped``, a check job's ``check``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from patchwork.archive.availability.observations import CheckReport
from patchwork.archive.ingest.info_json import IngestError, parse_info
from patchwork.archive.queue.kinds.base import ChannelDetails, Completion
from patchwork.errors import InvalidInput
from patchwork.http.body_fields import text_field
from patchwork.http.errors import ApiError


def completion_of(fields: Mapping[str, Any]) -> Completion:
    """The completion a worker reports for a job, from its JSON body."""
    info = fields.get("video", fields.get("info"))
    if info is None and "id" in fields:
        info = fields
    meta = None
    if info is not None:
        if not isinstance(info, dict):
            raise ApiError(400, "video must be a JSON object of yt-dlp metadata")
        try:
            meta = parse_info(info)
        except IngestError as exc:
            # Said as a field of this body: the service's message alone does not name it.
            raise InvalidInput(f"video metadata {exc}") from None
    channel = None
    raw_channel = fields.get("channel")
    if isinstance(raw_channel, dict):
        channel = ChannelDetails(
            name=text_field(raw_channel, "name", max_length=1000, drop_nul=True),
            description=text_field(raw_channel, "description", max_length=100_000, drop_nul=True),
            romanized_name=text_field(
                raw_channel, "romanized_name", max_length=1000, drop_nul=True
            ),
        )
    elif raw_channel is not None and not isinstance(raw_channel, str):
        raise ApiError(400, "channel must be a JSON object")
    files = fields.get("files")
    if files is not None and (
        not isinstance(files, list) or not all(isinstance(f, str) for f in files)
    ):
        raise ApiError(400, "files must be a list of uploaded kinds")
    skipped = text_field(fields, "skipped", max_length=255)
    if skipped is not None and (not skipped or meta is not None):
        raise ApiError(400, "skipped names an archived video id, and comes without video")
    return Completion(
        meta,
        channel,
        tuple(files) if files is not None else None,
        skipped=skipped,
        check=_check_report(fields.get("check")),
    )


def _check_report(raw: Any) -> CheckReport | None:
    """A check job's answer (patchwork.archive.availability.observations)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ApiError(400, "check must be a JSON object: {outcome, reason, message}")
    outcome = text_field(raw, "outcome", max_length=32, label="check.outcome") or ""
    return CheckReport.parse(
        outcome,
        text_field(raw, "reason", max_length=64, label="check.reason"),
        text_field(raw, "message", max_length=100_000, drop_nul=True, label="check.message"),
    )
