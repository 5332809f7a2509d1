"""`procure clauses lint` and the checks sync runs: parse every file, then review each clause
and the library as a whole. Pure: reads files, no DB, no Flask."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from procure.clause_library.services.clause_format import parse_clause_text
from procure.clause_library.services.clause_review import (
    ReviewFinding,
    review_clause,
    review_library,
)
from procure.clause_library.services.clause_spec import ClauseFormatError, ClauseSpec


@dataclass
class LintReport:
    files: int = 0
    clauses: list[tuple[str, ClauseSpec, str]] = field(default_factory=list)  # (file, spec, text)
    findings: list[ClauseFormatError] = field(default_factory=list)

    def refused_files(self) -> set[str]:
        return {f.file for f in self.findings}

    def as_dict(self) -> dict:
        return {
            "files": self.files,
            "findings": [
                {
                    "file": f.file,
                    "line": f.line,
                    "field": f.field,
                    "kind": getattr(f, "kind", "format"),
                    "message": f.message,
                }
                for f in self.findings
            ],
        }


def read_directory(directory: Path) -> tuple[list[tuple[str, str]], list[ClauseFormatError]]:
    """(relative name, text) of every `*.md` under `directory`, and the unreadable ones."""
    texts, errors = [], []
    for path in sorted(directory.rglob("*.md")):
        name = path.relative_to(directory).as_posix()
        try:
            texts.append((name, path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(
                ClauseFormatError(
                    f"fichier illisible ({exc.__class__.__name__}) : enregistrez-le en UTF-8.",
                    file=name,
                )
            )
    return texts, errors


def lint_texts(
    texts: list[tuple[str, str]], *, also_covered: set[str] | frozenset = frozenset()
) -> LintReport:
    """Parse and review clause files; `also_covered`: subjects covered outside these files."""
    report = LintReport(files=len(texts))
    for name, text in texts:
        try:
            spec = parse_clause_text(text, filename=name)
        except ClauseFormatError as exc:
            report.findings.append(exc)
            continue
        report.clauses.append((name, spec, text))
        report.findings.extend(review_clause(spec, text, filename=name))
    library = review_library(report.clauses)
    report.findings.extend(
        f
        for f in library
        if not (isinstance(f, ReviewFinding) and _subject_of(f, report) in also_covered)
    )
    report.findings.sort(key=lambda f: (f.file, f.line or 0))
    return report


def _subject_of(finding: ReviewFinding, report: LintReport) -> str:
    index = int((finding.field or "depends.0").split(".")[1])
    for name, spec, _text in report.clauses:
        if name == finding.file:
            return spec.depends[index]["subject"]
    return ""


def lint_directory(directory: Path | str) -> LintReport:
    directory = Path(directory)
    texts, unreadable = read_directory(directory)
    report = lint_texts(texts)
    report.files += len(unreadable)
    report.findings = unreadable + report.findings
    return report
