"""What an import did, per source table: rows read, written, merged and skipped, with reasons."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from patchwork.config import redact_url

MAX_EXAMPLES = 5


@dataclass
class TableReport:
    """Counts for one source table. A skip is either an *error* (data lost) or expected."""

    table: str
    read: int = 0
    written: int = 0
    merged: int = 0
    skipped: int = 0
    reasons: Counter[tuple[str, str]] = field(default_factory=Counter)
    examples: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def skip(self, reason: str, example: str = "", *, error: bool = False) -> None:
        self.skipped += 1
        self._note("error" if error else "skipped", reason, example)

    def merge(self, reason: str, example: str = "") -> None:
        self.merged += 1
        self._note("merged", reason, example)

    def note(self, reason: str, example: str = "") -> None:
        """Something changed on the way in (the row itself was copied)."""
        self._note("note", reason, example)

    def _note(self, kind: str, reason: str, example: str) -> None:
        # Source rows may carry URLs with a password in them; a report is printed and shared.
        reason, example = redact_url(reason), redact_url(example)
        self.reasons[(kind, reason)] += 1
        shown = self.examples.setdefault((kind, reason), [])
        if example and len(shown) < MAX_EXAMPLES:
            shown.append(example[:120])

    @property
    def errors(self) -> int:
        return sum(n for (kind, _), n in self.reasons.items() if kind == "error")


@dataclass
class ImportReport:
    tables: dict[str, TableReport] = field(default_factory=dict)
    dry_run: bool = False

    def table(self, name: str) -> TableReport:
        return self.tables.setdefault(name, TableReport(name))

    @property
    def errors(self) -> int:
        return sum(t.errors for t in self.tables.values())

    @property
    def written(self) -> int:
        return sum(t.written for t in self.tables.values())

    def render(self) -> str:
        """A plain-text table, then one line per reason (never a secret: tokens are named)."""
        head = ("source table", "read", "written", "merged", "skipped")
        rows = [
            (t.table, str(t.read), str(t.written), str(t.merged), str(t.skipped))
            for t in self.tables.values()
        ]
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

        def line(cells: tuple[str, ...]) -> str:
            first = cells[0].ljust(widths[0])
            return "  ".join(
                [first, *(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))]
            )

        out = [line(head), "  ".join("-" * w for w in widths), *map(line, rows)]
        details = [
            f"  {t.table}: {kind} {n} × {reason}"
            + (
                f" (e.g. {', '.join(t.examples[(kind, reason)])})"
                if t.examples.get((kind, reason))
                else ""
            )
            for t in self.tables.values()
            for (kind, reason), n in sorted(t.reasons.items())
        ]
        if details:
            out += ["", "Details:", *details]
        verb = "would write" if self.dry_run else "wrote"
        out += ["", f"{verb} {self.written} rows; {self.errors} rows skipped for an error."]
        return "\n".join(out)
