"""The repository is self-contained: nothing it ships points at files outside it."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    suffixes = {".py", ".md", ".toml", ".html", ".txt", ".cfg", ".ini", ".sql", ""}
    return [ROOT / name for name in listed if Path(name).suffix in suffixes]


def test_no_file_points_outside_the_repository() -> None:
    outside = []
    for path in tracked_text_files():
        if not path.is_file() or path == Path(__file__):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if "../shared" in text:
            outside.append(str(path.relative_to(ROOT)))
    assert outside == []


def test_the_documents_the_code_cites_are_here() -> None:
    for name in ("docs/api-contract.md", "docs/design.md", "README.md"):
        assert (ROOT / name).is_file(), name


def test_test_modules_share_helpers_only_through_support() -> None:
    """A test module importing another runs only when pytest happened to collect both."""
    importing = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] in ("from", "import") and words[1].startswith("test_"):
                importing.append(f"{path.relative_to(ROOT)}: {line.strip()}")
    assert importing == []


#: "A file that grows past ~400 lines is asking to be split" (by concept, not by count).
MAX_LINES = 420


def test_no_module_is_past_the_size_that_asks_for_a_split() -> None:
    long = sorted(
        f"{path.relative_to(ROOT)}: {count} lines"
        for path in tracked_text_files()
        if path.suffix == ".py"
        and path.is_file()
        and (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    )
    assert long == []
