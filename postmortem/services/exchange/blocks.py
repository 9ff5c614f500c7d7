"""One reading of a document written elsewhere: Markdown, HTML and .docx all become the same
list of blocks (`markdown_blocks.py`, `html_blocks.py`), so one mapping layer (`archive.py`)
reads every form."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_BLOCKS = 20_000


@dataclass
class Line:
    """One line of inline content: its plain text, as Markdown, and the links in it."""

    text: str
    markdown: str
    links: list[str] = field(default_factory=list)
    strong: bool = False  # every word is bold
    size: float = 0.0  # the smallest font size (pt) of its words, 0 when unknown


@dataclass
class Block:
    """A heading, paragraph, list item, table, code block or other block, with its line."""

    kind: str  # heading | paragraph | item | table | code | other
    line: int
    lines: list[Line] = field(default_factory=list)
    level: int = 0  # a heading's level; a list item's depth (0 at the top)
    checked: bool | None = None  # a list item's checkbox, when it has one
    ordered: bool = False
    rows: list[list[Line]] = field(default_factory=list)  # a table's cells
    header: bool = False  # the table's first row names its columns
    raw: str = ""  # code and other blocks as Markdown

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines).strip()

    @property
    def markdown(self) -> str:
        """The block as Markdown, for a section's text."""
        if self.kind == "heading":
            return "#" * max(3, min(self.level, 6)) + " " + self.lines[0].markdown
        if self.kind == "paragraph":
            return "\n".join(line.markdown for line in self.lines)
        if self.kind == "item":
            box = "" if self.checked is None else ("[x] " if self.checked else "[ ] ")
            marker = "1." if self.ordered else "-"
            indent = "  " * self.level
            lines = [f"{indent}{marker} {box}{self.lines[0].markdown}"]
            lines += [f"{indent}  {line.markdown}" for line in self.lines[1:]]
            return "\n".join(lines)
        if self.kind == "table":
            return table_markdown(self.rows, self.header)
        return self.raw


def table_markdown(rows: list[list[Line]], header: bool) -> str:
    """A GFM table (a first row of empty names when the table has no header)."""
    width = max((len(row) for row in rows), default=0)
    if not width:
        return ""

    def cells(row: list[Line]) -> str:
        values = [c.markdown.replace("\n", " ").replace("|", "\\|") for c in row]
        values += [""] * (width - len(values))
        return "| " + " | ".join(values) + " |"

    out = [cells(rows[0]) if header else "| " + " | ".join([" "] * width) + " |",
           "|" + "---|" * width]
    out += [cells(row) for row in (rows[1:] if header else rows)]
    return "\n".join(out)


@dataclass
class Source:
    """A document's blocks, the title its container gives (HTML <title>), and what a
    position in it is called in notes ("line", or "paragraph" for .docx)."""

    blocks: list[Block]
    page_title: str = ""
    unit: str = "line"
    name: str = ""  # the file's name, when it came as a file


def joined(lines: list[Line]) -> Line:
    if not lines:
        return Line("", "")
    return Line(" ".join(line.text for line in lines).strip(),
                " ".join(line.markdown for line in lines).strip(),
                [link for line in lines for link in line.links],
                all(line.strong for line in lines))


CHECKBOX_RE = re.compile(r"^\s*(?:\[([ xX✓✔])\]|([☐□])|([☑☒✅✓✔]))\s*")


def take_checkbox(block: Block) -> None:
    """A task list's `[ ]` / `[x]` (or ☐ / ☑) becomes the item's checkbox."""
    if not block.lines:
        return
    first = block.lines[0]
    match = CHECKBOX_RE.match(first.text)
    if match is None:
        return
    if block.checked is None:
        block.checked = not (match.group(1) == " " or match.group(2))
    first.text = first.text[match.end():]
    md_match = CHECKBOX_RE.match(first.markdown)
    if md_match:
        first.markdown = first.markdown[md_match.end():]
