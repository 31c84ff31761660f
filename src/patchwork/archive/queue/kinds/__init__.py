"""Job kinds: what each mode of job does, through one registry.

A kind (:class:`~patchwork.archive.queue.kinds.base.JobKind`) says which modes it runs, which
files its worker must and may upload, what its target is, what the claim's answer carries for
it, and how completing turns the staged files into archive state. The queue's services ask
the registry (:func:`kind_of`), never the mode: enqueueing parses the target with the kind,
completing (:mod:`patchwork.archive.queue.completion`) hands the job to the kind.

``archive`` runs modes 0 and 1, ``delete`` mode 2, ``scan`` mode 3 (a source's listing),
``check`` mode 4 (is an archived video still on its site?).

Adding a job kind:

1. write ``kinds/<name>.py`` with the protocol's names (``NAME``, ``MODES``,
   ``REQUIRED_UPLOADS``, ``may_upload``, ``target``, ``claim_answer``, ``complete``; copy
   ``delete.py``). Its ``complete`` finishes the job with
   :func:`patchwork.archive.queue.transitions.finish_job` inside the transaction that
   writes its result, after :func:`patchwork.archive.queue.records.held_job` locked it;
2. register it: one line in :data:`REGISTERED` below. A new mode number is also a member of
   :class:`~patchwork.archive.queue.states.JobMode`, since it is a stored value.

Nothing else changes: the registry checks at import that no mode is run by two kinds, and
``tests/archive/queue/test_job_kinds.py`` that every registered module is a ``JobKind``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from patchwork.archive.queue.kinds import archive, check, delete, scan
from patchwork.archive.queue.kinds.base import JobKind
from patchwork.archive.queue.records import InvalidRequest
from patchwork.archive.queue.states import JobMode

#: The kinds the queue runs; adding a kind is adding its module here.
REGISTERED: tuple[JobKind, ...] = (
    archive,
    delete,
    scan,
    check,
)


def _by_mode(kinds: tuple[JobKind, ...]) -> dict[JobMode, JobKind]:
    found: dict[JobMode, JobKind] = {}
    for kind in kinds:
        for mode in kind.MODES:
            if mode in found:
                raise RuntimeError(f"mode {mode} is run by {found[mode].NAME} and {kind.NAME}")
            found[mode] = kind
    return found


#: Each mode's kind. Tests register a fake kind by replacing an entry (``monkeypatch``).
KINDS: dict[JobMode, JobKind] = _by_mode(REGISTERED)


def mode_names() -> Mapping[JobMode, str]:
    """How each mode reads, in mode order (``0: archive, 1: force re-archive, 2: delete``)."""
    return MappingProxyType({mode: KINDS[mode].MODES[mode] for mode in sorted(KINDS)})


def kind_of(mode: int) -> JobKind:
    """The kind that runs ``mode``; :class:`InvalidRequest` naming the modes there are."""
    try:
        return KINDS[JobMode(mode)]
    except (ValueError, KeyError):
        raise InvalidRequest(f"mode must be {_listed(mode_names())}") from None


def _listed(names: Mapping[JobMode, str]) -> str:
    """``0 (archive), 1 (force re-archive) or 2 (delete)``."""
    parts = [f"{int(mode)} ({name})" for mode, name in names.items()]
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} or {parts[-1]}"
