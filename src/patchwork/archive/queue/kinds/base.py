"""What a job kind is (:class:`JobKind`), and what a worker reports when it completes a job."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from patchwork.archive.availability.observations import CheckReport
from patchwork.archive.availability.policy import CheckPolicy
from patchwork.archive.ingest.info_json import VideoMetadata
from patchwork.archive.ingest.targets import Target
from patchwork.archive.ingest.video_files import NewFile
from patchwork.archive.queue.records import Actor, JobInfo
from patchwork.archive.queue.states import JobMode
from patchwork.db import Database
from patchwork.storage import Storage


@dataclass(frozen=True)
class ChannelDetails:
    name: str | None = None
    description: str | None = None
    romanized_name: str | None = None


@dataclass(frozen=True)
class Completion:
    """What a worker reports when it finishes a job: an archive job's download, a check's
    answer (:mod:`patchwork.http.completion_fields` reads it from the request)."""

    video: VideoMetadata | None = None
    channel: ChannelDetails | None = None
    # Kinds the worker says it uploaded; each must be staged. None: whatever is staged.
    files: tuple[str, ...] | None = None
    # Mode 0 only: the worker found this video already archived and downloaded nothing.
    skipped: str | None = None
    # A check job's answer: what the worker saw on the video's site.
    check: CheckReport | None = None


@dataclass(frozen=True)
class CompletionResult:
    job: JobInfo
    already_done: bool = False
    video_id: str | None = None
    files: list[NewFile] = field(default_factory=list)
    # Mode 0 found the video archived already: the job is done, the archive unchanged.
    kept_existing: bool = False


class JobKind(Protocol):
    """One kind of job: the modes it runs, what its worker uploads, how it completes.

    A kind is a module of :mod:`patchwork.archive.queue.kinds` (module-level names satisfy
    the protocol; mypy checks each registered module against it).
    """

    @property
    def NAME(self) -> str:
        """The kind's name in messages and docs (``archive``, ``delete``)."""
        ...

    @property
    def MODES(self) -> Mapping[JobMode, str]:
        """The modes this kind runs, each with how it reads in ``mode must be …``."""
        ...

    @property
    def REQUIRED_UPLOADS(self) -> frozenset[str]:
        """The file kinds a worker must have uploaded before it completes such a job."""
        ...

    def may_upload(self, file_kind: str) -> bool:
        """Whether a worker may upload a file of ``file_kind`` (``video``, ``captions/en`` …)
        for such a job."""
        ...

    def target(self, raw: str) -> Target:
        """What a queued URL (or id) stands for; :class:`TargetError` when it is unusable."""
        ...

    def claim_answer(self, db: Database, job: JobInfo) -> Mapping[str, object]:
        """What the claim's answer carries for such a job beyond the fields every job has
        (a scan job: where its source's listing resumes, read from the database)."""
        ...

    def complete(
        self,
        db: Database,
        storage: Storage,
        actor: Actor,
        job: JobInfo,
        report: Completion,
        now: datetime,
        policy: CheckPolicy,
    ) -> CompletionResult:
        """Turn the job's staged files and the worker's report into archive state, and mark
        the job done in the same transaction (or refuse, leaving the archive as it was).

        Called with the lease checked once without a lock; the kind checks it again, locked
        (:func:`records.held_job`), in the transaction that finishes the job
        (:func:`transitions.finish_job`). ``policy`` is the server's availability settings,
        which only check jobs read.
        """
        ...
