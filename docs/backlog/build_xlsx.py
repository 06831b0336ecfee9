"""Builds docs/backlog/backlog.xlsx from the CSV files beside it, byte for byte the same on every run.

The CSV files are the source: edit them, then run ``uv run python docs/backlog/build_xlsx.py`` and commit
both. ``tests/docs/test_docs.py`` rebuilds the workbook and fails when the committed one differs.

Determinism: openpyxl stamps the document properties with the current time and :mod:`zipfile` stamps
every member with it too. This script fixes the properties, then re-packs the archive with fixed member
timestamps and no compression, so the bytes depend only on the CSV content and the openpyxl version.

``--gantt`` prints the Mermaid gantt chart of the roadmap (phases, epics, milestones) instead; the
block in docs/backlog/README.md must be exactly that output (the docs test checks it).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE / "backlog.xlsx"

# Sheet order and titles; any other CSV file found here is appended in alphabetical order.
SHEETS: Sequence[tuple[str, str]] = (
    ("epics.csv", "Epics"),
    ("stories.csv", "Stories"),
    ("sprints.csv", "Sprints"),
    ("milestones.csv", "Milestones"),
    ("team.csv", "Team"),
    ("support_areas.csv", "Support areas"),
    ("approval_gates.csv", "Approval gates"),
    ("environments.csv", "Environments"),
    ("documents.csv", "Documents"),
)
FIXED_TIMESTAMP = dt.datetime(2026, 11, 16, 9, 0, 0)  # start of sprint 1; never "now"
ZIP_TIMESTAMP = (2026, 11, 16, 9, 0, 0)
MAX_WIDTH = 60
HEADER_FILL = PatternFill(fill_type="solid", start_color="FF1F3A5F", end_color="FF1F3A5F")
HEADER_FONT = Font(bold=True, color="FFFFFFFF")
INTEGER = re.compile(r"-?\d+")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle) if row]
    if not rows:
        raise SystemExit(f"{path.name}: empty")
    width = len(rows[0])
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != width:
            raise SystemExit(f"{path.name}:{number}: {len(row)} columns, the header has {width}")
    return rows


def csv_sources(directory: Path) -> list[tuple[Path, str]]:
    known = [(directory / name, title) for name, title in SHEETS if (directory / name).exists()]
    listed = {name for name, _ in SHEETS}
    extra = sorted(p for p in directory.glob("*.csv") if p.name not in listed)
    return known + [(p, p.stem.replace("_", " ").capitalize()[:31]) for p in extra]


def column_kind(values: list[str]) -> str:
    """'int' or 'date' when every non-empty value of the column is one, else 'text'."""
    present = [v for v in values if v != ""]
    if present and all(INTEGER.fullmatch(v) for v in present):
        return "int"
    if present and all(ISO_DATE.fullmatch(v) for v in present):
        return "date"
    return "text"


def convert(value: str, kind: str) -> object:
    if value == "":
        return None
    if kind == "int":
        return int(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    return value


def fill_sheet(sheet: Worksheet, rows: list[list[str]]) -> None:
    header, body = rows[0], rows[1:]
    kinds = [column_kind([row[i] for row in body]) for i in range(len(header))]
    sheet.append(header)
    for row in body:
        sheet.append([convert(value, kind) for value, kind in zip(row, kinds, strict=True)])
    for cell in sheet[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    for index, kind in enumerate(kinds, start=1):
        letter = get_column_letter(index)
        longest = max(len(line) for row in rows for line in (row[index - 1].splitlines() or [""]))
        sheet.column_dimensions[letter].width = min(max(longest, len(header[index - 1])) + 2, MAX_WIDTH)
        for cell in sheet[letter][1:]:
            cell.alignment = Alignment(vertical="top", wrap_text=kind == "text")
            if kind == "date":
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows)}"


def about_rows(sources: list[tuple[Path, str]]) -> list[list[str]]:
    rows = [["Sheet", "Source", "What it holds"]]
    descriptions = {
        "epics.csv": "Epics with goal, value, sprints and milestone",
        "stories.csv": "User stories with acceptance criteria, story points, sprint and owner role",
        "sprints.csv": "The 13 two-week Scrum sprints: dates, goal, capacity and planned points",
        "milestones.csv": "Roadmap milestones and their exit criteria",
        "team.csv": "The Scrum team and its capacity",
        "support_areas.csv": "Architecture, databases, security and platform: scope and engagement",
        "approval_gates.csv": "The gates those areas approve, with evidence and timing",
        "environments.csv": "Local, DEV, QA, Staging and Production and how a change is promoted",
        "documents.csv": "Technical and functional documents to produce",
    }
    for path, title in sources:
        rows.append([title, f"docs/backlog/{path.name}", descriptions.get(path.name, "")])
    rows.append(["", "", ""])
    rows.append(
        [
            "Generated",
            "docs/backlog/build_xlsx.py",
            "Do not edit this workbook: edit the CSV files and rebuild",
        ]
    )
    return rows


def build_workbook(directory: Path) -> Workbook:
    sources = csv_sources(directory)
    workbook = Workbook()
    about = workbook.active
    assert about is not None
    about.title = "About"
    fill_sheet(about, about_rows(sources))
    for path, title in sources:
        fill_sheet(workbook.create_sheet(title), read_csv(path))
    props = workbook.properties
    props.creator = "Taquilla docs/backlog/build_xlsx.py"
    props.lastModifiedBy = "Taquilla docs/backlog/build_xlsx.py"
    props.title = "Taquilla product backlog and roadmap"
    props.created = FIXED_TIMESTAMP
    props.modified = FIXED_TIMESTAMP
    return workbook


def workbook_bytes(workbook: Workbook) -> bytes:
    """The .xlsx bytes with fixed archive metadata (openpyxl's save_workbook would stamp 'now')."""
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
    fixed = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(fixed, "w") as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=ZIP_TIMESTAMP)
            member.compress_type = zipfile.ZIP_STORED
            member.create_system = 0
            member.external_attr = 0o600 << 16
            target.writestr(member, source.read(info.filename))
    return fixed.getvalue()


def build(directory: Path, output: Path) -> Path:
    output.write_bytes(workbook_bytes(build_workbook(directory)))
    return output


# --- roadmap gantt -------------------------------------------------------------------------------


def _records(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def gantt(directory: Path) -> str:
    """The roadmap as a Mermaid gantt chart, built from sprints.csv, epics.csv and milestones.csv."""
    sprints = {int(row["sprint"]): row for row in _records(directory / "sprints.csv")}

    def span(first: int, last: int) -> str:
        start = dt.date.fromisoformat(sprints[first]["start_date"])
        end = dt.date.fromisoformat(sprints[last]["end_date"]) + dt.timedelta(days=1)  # exclusive
        return f"{start.isoformat()}, {end.isoformat()}"

    lines = [
        "gantt",
        "    title Taquilla roadmap (13 two-week sprints)",
        "    dateFormat YYYY-MM-DD",
        "    axisFormat %d %b",
        "    section Phases",
    ]
    phases: dict[str, list[int]] = {}
    for number, row in sorted(sprints.items()):
        phases.setdefault(row["phase"], []).append(number)
    for index, (phase, numbers) in enumerate(phases.items(), start=1):
        lines.append(f"    {phase} :phase{index}, {span(min(numbers), max(numbers))}")
    lines.append("    section Epics")
    for row in _records(directory / "epics.csv"):
        lines.append(
            f"    {row['epic_id']} {row['title']} :{row['epic_id'].lower()}, "
            f"{span(int(row['start_sprint']), int(row['end_sprint']))}"
        )
    lines.append("    section Milestones")
    for row in _records(directory / "milestones.csv"):
        milestone = row["milestone_id"]
        lines.append(f"    {milestone} {row['name']} :milestone, {milestone.lower()}, {row['date']}, 0d")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--source", type=Path, default=HERE, help="folder with the CSV files (default: this one)"
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="workbook to write")
    parser.add_argument(
        "--gantt", action="store_true", help="print the roadmap's Mermaid gantt chart and exit"
    )
    args = parser.parse_args(argv)
    if args.gantt:
        sys.stdout.write(gantt(args.source))
        return 0
    path = build(args.source, args.output)
    sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
