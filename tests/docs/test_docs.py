"""The documentation stays correct: diagrams parse, links resolve, the backlog workbook matches its CSV.

Mermaid blocks are parsed by mermaid's own parser under Node (tools/docs/check-mermaid.mjs); its
dependencies are installed with `npm ci --prefix tools/docs` the first time. Every check walks all
Markdown files of the repository, whoever wrote them, except vendored and local folders.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools" / "docs"
BACKLOG = ROOT / "docs" / "backlog"
ADR_DIR = ROOT / "docs" / "adr"
SKIPPED_DIRS = {
    "node_modules",
    ".venv",
    ".local",
    ".git",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
}

FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
INLINE_LINK = re.compile(
    r"\[(?:[^\[\]]|\[[^\[\]]*\])*\]"  # [text], allowing one level of nested brackets (images in links)
    r"\(\s*(<[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)"  # (target, allowing balanced parentheses
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"  # optional "title")
)
REFERENCE_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
FIBONACCI = {1, 2, 3, 5, 8, 13, 21}


# --- helpers -------------------------------------------------------------------------------------


def markdown_files(root: Path = ROOT) -> list[Path]:
    found: list[Path] = []
    for directory, subdirs, files in os.walk(root):
        # Virtual environments under any name (bench/ may create several) hold vendored Markdown.
        subdirs[:] = sorted(
            d
            for d in subdirs
            if d not in SKIPPED_DIRS
            and d != "site-packages"
            and not (Path(directory, d, "pyvenv.cfg")).exists()
        )
        found.extend(Path(directory) / name for name in sorted(files) if name.endswith(".md"))
    return found


def prose_lines(markdown: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of lines outside fenced code blocks, with inline code removed."""
    fence: str | None = None
    for number, line in enumerate(markdown.splitlines(), start=1):
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            continue
        if fence is not None:
            if line.strip().startswith(fence[0] * len(fence)) and not line.strip().strip(fence[0]):
                fence = None
            continue
        yield number, INLINE_CODE.sub("", line)


def link_targets(markdown: str) -> Iterator[tuple[int, str]]:
    for number, line in prose_lines(markdown):
        for match in INLINE_LINK.finditer(line):
            yield number, match.group(1)
        definition = REFERENCE_DEFINITION.match(line)
        if definition:
            yield number, definition.group(1)


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    """Relative links of one Markdown file that do not lead to an existing file or folder."""
    problems = []
    for number, raw in link_targets(path.read_text(encoding="utf-8")):
        target = raw.strip("<>").strip()
        if not target or target.startswith(("#", "//")) or URL_SCHEME.match(target):
            continue
        target = urllib.parse.unquote(target.split("#", 1)[0].split("?", 1)[0])
        if not target:
            continue
        resolved = (root / target.lstrip("/")) if target.startswith("/") else (path.parent / target)
        resolved = resolved.resolve()
        if not resolved.is_relative_to(root.resolve()) or not resolved.exists():
            problems.append(f"{path.relative_to(root)}:{number}: {raw}")
    return problems


def github_anchors(markdown: str) -> set[str]:
    """The anchors GitHub generates for the headings of a Markdown document."""
    anchors: set[str] = set()
    for _, line in prose_lines_keeping_code(markdown):
        heading = HEADING.match(line)
        if not heading:
            continue
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.group(1)).replace("`", "")
        slug = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
        candidate, suffix = slug, 0
        while candidate in anchors:
            suffix += 1
            candidate = f"{slug}-{suffix}"
        anchors.add(candidate)
    return anchors


def prose_lines_keeping_code(markdown: str) -> Iterator[tuple[int, str]]:
    """Like prose_lines, but inline code is kept (headings may contain it)."""
    fence: str | None = None
    for number, line in enumerate(markdown.splitlines(), start=1):
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            continue
        if fence is not None:
            if line.strip().startswith(fence[0] * len(fence)) and not line.strip().strip(fence[0]):
                fence = None
            continue
        yield number, line


def broken_anchors(path: Path, root: Path = ROOT) -> list[str]:
    """Links with a #fragment to a Markdown file (or the same file) whose heading does not exist."""
    problems = []
    for number, raw in link_targets(path.read_text(encoding="utf-8")):
        target = raw.strip("<>").strip()
        if "#" not in target or URL_SCHEME.match(target) or target.startswith("//"):
            continue
        file_part, fragment = target.split("#", 1)
        document = path if not file_part else (path.parent / urllib.parse.unquote(file_part)).resolve()
        if document.suffix != ".md" or not document.is_file():
            continue
        if urllib.parse.unquote(fragment).lower() not in github_anchors(document.read_text(encoding="utf-8")):
            problems.append(f"{path.relative_to(root)}:{number}: {raw}")
    return problems


def mermaid_checker() -> list[str]:
    """The command that runs the Mermaid checker, installing its npm dependencies when missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("Node.js and npm are needed to parse Mermaid blocks (Debian: apt-get install nodejs npm)")
    if not (TOOLS / "node_modules" / "mermaid").is_dir() or not (TOOLS / "node_modules" / "jsdom").is_dir():
        subprocess.run(
            [npm, "ci", "--prefix", str(TOOLS), "--no-audit", "--no-fund", "--loglevel=error"],
            check=True,
            timeout=600,
        )
    return [node, str(TOOLS / "check-mermaid.mjs"), "--json"]


def check_mermaid(files: list[Path]) -> list[dict[str, Any]]:
    run = subprocess.run(
        [*mermaid_checker(), *map(str, files)], capture_output=True, text=True, timeout=240, check=False
    )
    if run.returncode not in (0, 1):
        pytest.fail(f"the Mermaid checker crashed ({run.returncode}):\n{run.stderr}")
    results: list[dict[str, Any]] = json.loads(run.stdout)
    return results


def read_csv(name: str) -> list[dict[str, str]]:
    with (BACKLOG / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def run_build_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BACKLOG / "build_xlsx.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


# --- Mermaid -------------------------------------------------------------------------------------


def test_every_mermaid_block_parses() -> None:
    results = check_mermaid(markdown_files())
    failures = [
        f"{Path(r['file']).relative_to(ROOT)} block {r['block']} (line {r['line']}): {r['error']}"
        for r in results
        if not r["ok"]
    ]
    assert results, "no Mermaid block found: is the checker looking at the right files?"
    assert not failures, "Mermaid blocks that do not parse:\n" + "\n".join(failures)


BROKEN_AND_VALID = {
    "flowchart": ("flowchart LR\n  a[Edge -->|gRPC b[(DB)]", "flowchart LR\n  a[Edge] -->|gRPC| b[(DB)]"),
    "sequence": (
        "sequenceDiagram\n  A->>B hello\n  alt ok",
        "sequenceDiagram\n  A->>B: hello\n  alt ok\n    B-->>A: fine\n  end",
    ),
    "gantt syntax": (
        "gantt\n  dateFormat YYYY-MM-DD\n  section A\n  Sprint 1 s1, 2026-01-05, 14d",
        "gantt\n  dateFormat YYYY-MM-DD\n  section A\n  Sprint 1 :s1, 2026-01-05, 14d",
    ),
    "gantt date": (
        "gantt\n  dateFormat YYYY-MM-DD\n  section A\n  Sprint 1 :s1, 2026-13-45, 14d",
        "gantt\n  dateFormat YYYY-MM-DD\n  section A\n  Sprint 1 :s1, 2026-12-01, 14d",
    ),
    "gantt reference": (
        "gantt\n  dateFormat YYYY-MM-DD\n  section A\n  One :s1, 2026-01-05, 14d\n  Two :s2, after s9, 14d",
        "gantt\n  dateFormat YYYY-MM-DD\n  section A\n  One :s1, 2026-01-05, 14d\n  Two :s2, after s1, 14d",
    ),
    "state": (
        "stateDiagram-v2\n  [*] --> Held\n  Held --> : paid",
        "stateDiagram-v2\n  [*] --> Held\n  Held --> Paid: paid",
    ),
    "er": ("erDiagram\n  SESSION ||--o{ INVENTORY has", "erDiagram\n  SESSION ||--o{ INVENTORY : has"),
    "unknown type": ("flowchrt LR\n  a --> b", "flowchart TB\n  a --> b"),
}


def test_mermaid_checker_rejects_broken_blocks_and_accepts_valid_ones(tmp_path: Path) -> None:
    document = tmp_path / "diagrams.md"
    blocks = [block for pair in BROKEN_AND_VALID.values() for block in pair]
    document.write_text("".join(f"Text.\n\n```mermaid\n{b}\n```\n\n" for b in blocks), encoding="utf-8")

    results = check_mermaid([document])

    assert [r["block"] for r in results] == list(range(1, len(blocks) + 1))
    for index, kind in enumerate(BROKEN_AND_VALID):
        broken, valid = results[2 * index], results[2 * index + 1]
        assert not broken["ok"], f"{kind}: a broken block was accepted"
        assert broken["error"], f"{kind}: no error message"
        assert valid["ok"], f"{kind}: a valid block was rejected: {valid['error']}"


# --- links ---------------------------------------------------------------------------------------


def test_every_relative_link_resolves() -> None:
    files = markdown_files()
    problems = [problem for path in files for problem in broken_links(path)]

    assert ROOT / "docs" / "architecture.md" in files
    assert not problems, "relative links to missing files:\n" + "\n".join(problems)


def test_links_within_docs_point_to_existing_headings() -> None:
    files = [path for path in markdown_files() if path.is_relative_to(ROOT / "docs")]
    problems = [problem for path in files for problem in broken_anchors(path)]

    assert not problems, "links to headings that do not exist:\n" + "\n".join(problems)


def test_anchor_checker_follows_github_heading_ids(tmp_path: Path) -> None:
    target = tmp_path / "target.md"
    target.write_text(
        "# Title\n## 4. Sizing for 100,000 tickets\n## `make up` and [links](x.md)\n## Title\n",
        encoding="utf-8",
    )
    page = tmp_path / "page.md"
    page.write_text(
        "[a](target.md#4-sizing-for-100000-tickets) [b](target.md#make-up-and-links) [c](target.md#title-1)\n"
        "[d](target.md#missing) [e](#nowhere)\n",
        encoding="utf-8",
    )

    assert broken_anchors(page, root=tmp_path) == ["page.md:2: target.md#missing", "page.md:2: #nowhere"]


def test_link_checker_reports_missing_targets_and_ignores_urls_anchors_and_code(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "exists.md").write_text("# Exists\n", encoding="utf-8")
    page = tmp_path / "docs" / "page.md"
    page.write_text(
        "\n".join(
            [
                "[ok](exists.md#section) [ok](./exists.md 'title') [ok](/docs/exists.md) [ok](../docs/)",
                "[web](https://example.com/x.md) [mail](mailto:a@example.com) [anchor](#top)",
                "`[in code](missing-inline.md)`",
                "```",
                "[in a fence](missing-fenced.md)",
                "```",
                "[gone](missing.md#frag) ![image](img/missing.png)",
                "[ref]: missing-reference.md",
                "[outside](../../outside.md)",
            ]
        ),
        encoding="utf-8",
    )

    problems = broken_links(page, root=tmp_path)

    assert problems == [
        "docs/page.md:7: missing.md#frag",
        "docs/page.md:7: img/missing.png",
        "docs/page.md:8: missing-reference.md",
        "docs/page.md:9: ../../outside.md",
    ]


# --- backlog workbook and roadmap ----------------------------------------------------------------


def test_backlog_workbook_is_regenerated_identically_from_the_csv(tmp_path: Path) -> None:
    rebuilt = tmp_path / "backlog.xlsx"

    run_build_script("--output", str(rebuilt))

    committed = BACKLOG / "backlog.xlsx"
    assert committed.exists(), "docs/backlog/backlog.xlsx is missing: run docs/backlog/build_xlsx.py"
    rebuilt_sha, committed_sha = (hashlib.sha256(p.read_bytes()).hexdigest() for p in (rebuilt, committed))
    assert rebuilt_sha == committed_sha, (
        "docs/backlog/backlog.xlsx is stale: run `uv run python docs/backlog/build_xlsx.py` and commit it"
    )


def test_roadmap_gantt_is_generated_from_the_csv() -> None:
    expected = run_build_script("--gantt").stdout
    readme = (BACKLOG / "README.md").read_text(encoding="utf-8")

    assert f"```mermaid\n{expected}```" in readme, (
        "the gantt chart in docs/backlog/README.md differs from the CSV files: "
        "replace it with the output of `uv run python docs/backlog/build_xlsx.py --gantt`"
    )


def test_backlog_csv_files_are_consistent() -> None:
    epics = {row["epic_id"]: row for row in read_csv("epics.csv")}
    stories = read_csv("stories.csv")
    sprints = {int(row["sprint"]): row for row in read_csv("sprints.csv")}
    gates = {row["gate_id"] for row in read_csv("approval_gates.csv")}
    milestones = {row["milestone_id"] for row in read_csv("milestones.csv")}
    story_sprint = {row["story_id"]: int(row["sprint"]) for row in stories}
    problems: list[str] = []

    assert sorted(sprints) == list(range(1, 14)), "the roadmap is 13 two-week sprints"
    for number in range(2, 14):
        gap = _days(sprints[number - 1]["start_date"], sprints[number]["start_date"])
        if gap != 14:
            problems.append(f"sprint {number} starts {gap} days after sprint {number - 1}")
    assert len(story_sprint) == len(stories), "story ids are unique"

    points: dict[int, int] = defaultdict(int)
    for story in stories:
        sid, sprint = story["story_id"], int(story["sprint"])
        points[sprint] += int(story["story_points"])
        if story["epic_id"] not in epics:
            problems.append(f"{sid}: unknown epic {story['epic_id']}")
        if int(story["story_points"]) not in FIBONACCI:
            problems.append(f"{sid}: {story['story_points']} points is not on the Fibonacci scale")
        if not story["acceptance_criteria"].strip():
            problems.append(f"{sid}: no acceptance criteria")
        for dependency in filter(None, (d.strip() for d in story["depends_on"].split(";"))):
            if dependency not in story_sprint:
                problems.append(f"{sid}: depends on unknown {dependency}")
            elif story_sprint[dependency] > sprint:
                problems.append(f"{sid} (sprint {sprint}) depends on later {dependency}")
    for number, row in sprints.items():
        planned, capacity = int(row["planned_points"]), int(row["capacity_points"])
        if planned != points[number]:
            problems.append(f"sprint {number}: planned_points {planned}, stories add up to {points[number]}")
        if points[number] > capacity:
            problems.append(f"sprint {number}: {points[number]} points planned, capacity {capacity}")
        problems += [f"sprint {number}: unknown gate {g}" for g in _ids(row["gates_due"]) if g not in gates]
    for epic_id, epic in epics.items():
        own = [s for s in stories if s["epic_id"] == epic_id]
        used = [int(s["sprint"]) for s in own]
        if not own:
            problems.append(f"{epic_id}: no stories")
        elif (int(epic["start_sprint"]), int(epic["end_sprint"])) != (min(used), max(used)):
            problems.append(f"{epic_id}: start/end sprints differ from its stories' {min(used)}-{max(used)}")
        if own and int(epic["story_points"]) != sum(int(s["story_points"]) for s in own):
            problems.append(f"{epic_id}: story_points does not match its stories")
        if epic["milestone"] not in milestones:
            problems.append(f"{epic_id}: unknown milestone {epic['milestone']}")
        problems += [f"{epic_id}: unknown gate {g}" for g in _ids(epic["approval_gates"]) if g not in gates]
    areas = {row["area_id"] for row in read_csv("support_areas.csv")}
    problems += [
        f"gate {row['gate_id']}: unknown area"
        for row in read_csv("approval_gates.csv")
        if row["area_id"] not in areas
    ]

    assert not problems, "backlog inconsistencies:\n" + "\n".join(problems)


def _ids(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _days(first: str, second: str) -> int:
    from datetime import date

    return (date.fromisoformat(second) - date.fromisoformat(first)).days


# --- ADRs ----------------------------------------------------------------------------------------


# --- routes the docs name ------------------------------------------------------------------------

OPENAPI = ROOT / "frontend" / "src" / "api" / "openapi.json"  # the edge's, exported by `make openapi`
NAMED_ROUTE = re.compile(r"/api/v1/[A-Za-z0-9_\-{}/.:…]*[A-Za-z0-9_}]")
PATH_PARAMETER = re.compile(r"\{[^}/]*\}")


def _route_shape(path: str) -> str:
    return PATH_PARAMETER.sub("{}", path.rstrip("/"))


def routes_named_in(text: str) -> Iterator[tuple[int, str, bool]]:
    """(line, route, whether a prefix) for each `/api/v1/...` path the Markdown names, outside sections
    whose heading says "(designed)" (plans: their routes are built later). A path followed by `/*`
    names every route under it."""
    designed_level = 0
    for number, line in enumerate(text.splitlines(), 1):
        heading = re.match(r"^\s{0,3}(#{1,6})\s", line)
        if heading:
            level = len(heading.group(1))
            if designed_level and level <= designed_level:
                designed_level = 0
            if "(designed)" in line.lower():
                designed_level = level
        if designed_level:
            continue
        for match in NAMED_ROUTE.finditer(line):
            yield number, match.group(0), line[match.end() : match.end() + 2] == "/*"


def unknown_routes(paths: set[str], files: list[Path], root: Path = ROOT) -> list[str]:
    shapes = {_route_shape(p) for p in paths}
    unknown = []
    for path in files:
        for number, route, prefix in routes_named_in(path.read_text(encoding="utf-8")):
            shape = _route_shape(route)
            known = shape in shapes or (prefix and any(s.startswith(shape + "/") for s in shapes))
            if not known:
                unknown.append(f"{path.relative_to(root)}:{number}: {route}")
    return unknown


def test_every_route_the_docs_name_exists_in_the_openapi() -> None:
    paths = set(json.loads(OPENAPI.read_text(encoding="utf-8"))["paths"])
    assert unknown_routes(paths, markdown_files()) == []


def test_the_route_check_catches_a_route_that_does_not_exist(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(
        "# API\n\n`POST /api/v1/auth/login` and `GET /api/v1/events/{event_id}/sessions`, "
        "`/api/v1/auth/*`.\n\n"
        "## Check-in (designed)\n\n`POST /api/v1/checkins`\n\n## Back\n\n`/api/v1/users/me`\n",
        encoding="utf-8",
    )
    paths = {"/api/v1/auth/token", "/api/v1/events/{id}/sessions"}
    found = unknown_routes(paths, [doc], root=tmp_path)
    assert [entry.split(": ", 1)[1] for entry in found] == ["/api/v1/auth/login", "/api/v1/users/me"]


def test_every_adr_has_the_standard_sections_and_is_indexed() -> None:
    index = (ADR_DIR / "README.md").read_text(encoding="utf-8")
    adrs = sorted(ADR_DIR.glob("[0-9][0-9][0-9][0-9]-*.md"))
    problems = []

    assert adrs, "no ADR found"
    for adr in adrs:
        text = adr.read_text(encoding="utf-8")
        sections = ("Context", "Decision", "Consequences")
        problems += [f"{adr.name}: no '{s}' section" for s in sections if f"## {s}" not in text]
        if not re.search(r"^(## Status|Status:)", text, re.MULTILINE):
            problems.append(f"{adr.name}: no status")
        if f"({adr.name})" not in index:
            problems.append(f"{adr.name}: not linked from docs/adr/README.md")
    numbers = [adr.name[:4] for adr in adrs]
    if len(set(numbers)) != len(numbers):
        problems.append(f"duplicate ADR numbers: {numbers}")

    assert not problems, "\n".join(problems)
