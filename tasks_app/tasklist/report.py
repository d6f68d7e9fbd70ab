"""The import report, and the problems an import collects, each named by sheet, Excel row and column."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .schema import COLUMNS, SHEETS


@dataclass(frozen=True)
class ImportReport:
    """What an import created (or, on a dry run, would create) and every problem found, by cell."""

    created: dict[str, int] = field(default_factory=lambda: {"tasks": 0, "indicators": 0, "policies": 0, "units": 0})
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False
    sha256: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"created": dict(self.created), "errors": list(self.errors), "warnings": list(self.warnings)}


def _empty_counts() -> dict[str, int]:
    return {"tasks": 0, "indicators": 0, "policies": 0, "units": 0}


class _Issues:
    """Collects errors and warnings; each names the sheet, the Excel row, the column and says what is wrong."""

    def __init__(self) -> None:
        self.errors: list[dict[str, Any]] = []
        self.warnings: list[dict[str, Any]] = []

    def error(self, sheet: str, row: int | None, column: str, message: str) -> None:
        self.errors.append({"sheet": sheet, "row": row, "column": column, "message": message})

    def warning(self, sheet: str, row: int | None, column: str, message: str) -> None:
        self.warnings.append({"sheet": sheet, "row": row, "column": column, "message": message})

    @staticmethod
    def _order(issue: dict[str, Any]) -> tuple[int, int, int]:
        sheet = issue["sheet"]
        sheet_index = SHEETS.index(sheet) + 1 if sheet in SHEETS else (0 if not sheet else len(SHEETS) + 1)
        columns = COLUMNS.get(sheet, ())
        column_index = columns.index(issue["column"]) if issue["column"] in columns else len(columns)
        return sheet_index, issue["row"] or 0, column_index

    def report(self, created: dict[str, int] | None = None, **kwargs: Any) -> ImportReport:
        return ImportReport(
            created=created or _empty_counts(),
            errors=sorted(self.errors, key=self._order),
            warnings=sorted(self.warnings, key=self._order),
            **kwargs,
        )


__all__ = ["ImportReport"]
