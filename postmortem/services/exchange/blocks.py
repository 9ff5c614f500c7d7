"""One reading of a document written elsewhere: Markdown (markdown-it-py tokens), HTML (lxml)
and .docx (mammoth, to HTML) all become the same list of blocks, so one mapping layer
(`archive.py`) reads every form."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

import lxml.html
import mammoth
import tinycss2
from lxml import etree
from markdown_it import MarkdownIt
from markdown_it.token import Token

from .markdown import DocumentError

HTML_BLOCKS = {"p", "div", "section", "article", "main", "header", "footer", "body", "html",
               "blockquote", "ul", "ol", "table", "pre", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
               "dl", "dt", "dd", "figure", "figcaption", "details", "summary", "center", "form",
               "fieldset", "address", "li", "tr", "td", "th", "tbody", "thead", "tfoot"}
HTML_SKIPPED = {"script", "style", "head", "nav", "noscript", "template", "svg", "button",
                "iframe", "select", "textarea", "object", "canvas", "map", "title", "meta", "link"}
DOCX_STYLES = "\n".join([
    "p[style-name='Title'] => h1:fresh",
    "p[style-name='Subtitle'] => h2:fresh",
])
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


# ---- Markdown ----------------------------------------------------------------------------

def read_markdown(text: str) -> Source:
    """Blocks of any CommonMark/GFM document; raw HTML blocks inside it are read as HTML."""
    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    tokens = parser.parse(text)
    source_lines = text.split("\n")
    blocks: list[Block] = []
    depth = -1
    ordered: list[bool] = []
    item: Block | None = None
    index = 0
    while index < len(tokens):
        token = tokens[index]
        line = (token.map[0] + 1) if token.map else (blocks[-1].line if blocks else 1)
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            depth += 1
            ordered.append(kind == "ordered_list_open")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
            ordered.pop()
            item = None
        elif kind == "list_item_open":
            item = Block("item", line, level=depth, ordered=ordered[-1] if ordered else False)
            blocks.append(item)
        elif kind == "list_item_close":
            item = None
        elif kind == "heading_open":
            inline = tokens[index + 1]
            blocks.append(Block("heading", line, _md_lines(inline)[:1] or [Line("", "")],
                                level=int(token.tag[1])))
            index += 2
        elif kind == "paragraph_open":
            lines = _md_lines(tokens[index + 1])
            if item is not None and (not item.lines or blocks[-1] is item):
                item.lines.extend(lines)
            else:
                blocks.append(Block("paragraph", line, lines))
            index += 2
        elif kind == "table_open":
            end = _closing(tokens, index, "table_close")
            blocks.append(_md_table(tokens[index:end], line))
            index = end
        elif kind in ("fence", "code_block"):
            blocks.append(Block("code", line, [Line(token.content, token.content)],
                                raw=_slice(source_lines, token)))
        elif kind == "html_block":
            inner = read_html(token.content, first_line=line)
            blocks.extend(inner.blocks)
        elif kind == "hr":
            blocks.append(Block("other", line, raw="---"))
        if len(blocks) > MAX_BLOCKS:
            raise DocumentError(line, f"the document has more than {MAX_BLOCKS} blocks")
        index += 1
    for block in blocks:
        if block.kind == "item":
            _take_checkbox(block)
    return Source([b for b in blocks if b.kind != "item" or b.lines])


def _slice(lines: list[str], token: Token) -> str:
    if not token.map:
        return token.content
    return "\n".join(lines[token.map[0]:token.map[1]]).rstrip("\n")


def _closing(tokens: list[Token], start: int, kind: str) -> int:
    for index in range(start, len(tokens)):
        if tokens[index].type == kind:
            return index
    return len(tokens) - 1


def _md_table(tokens: list[Token], line: int) -> Block:
    rows: list[list[Line]] = []
    header = False
    for index, token in enumerate(tokens):
        if token.type == "thead_open":
            header = True
        elif token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows:
            lines = _md_lines(token)
            rows[-1].append(_joined(lines))
        elif token.type in ("th_open", "td_open") and rows and tokens[index + 1].type != "inline":
            rows[-1].append(Line("", ""))
    return Block("table", line, rows=rows, header=header)


def _joined(lines: list[Line]) -> Line:
    if not lines:
        return Line("", "")
    return Line(" ".join(line.text for line in lines).strip(),
                " ".join(line.markdown for line in lines).strip(),
                [link for line in lines for link in line.links],
                all(line.strong for line in lines))


def _md_lines(inline: Token) -> list[Line]:
    """The inline token's lines: plain text, source Markdown, links and whether all bold."""
    sources = inline.content.split("\n")
    lines: list[Line] = []
    text: list[str] = []
    links: list[str] = []
    strong_depth = 0
    all_strong = True

    def close() -> None:
        markdown = sources[len(lines)].strip() if len(lines) < len(sources) else ""
        plain = "".join(text).strip()
        lines.append(Line(plain, markdown or plain, list(links), bool(plain) and all_strong))

    for child in inline.children or []:
        if child.type in ("softbreak", "hardbreak"):
            close()
            text, links, all_strong = [], [], True
        elif child.type in ("strong_open",):
            strong_depth += 1
        elif child.type in ("strong_close",):
            strong_depth -= 1
        elif child.type == "link_open":
            href = child.attrGet("href")
            if isinstance(href, str):
                links.append(href)
        elif child.type in ("text", "code_inline"):
            text.append(child.content)
            if child.content.strip() and strong_depth <= 0:
                all_strong = False
        elif child.type == "image":
            text.append(child.content)
        elif child.type == "html_inline" and child.content.lower().startswith("<br"):
            close()
            text, links, all_strong = [], [], True
    close()
    return [line for line in lines if line.text or line.markdown]


CHECKBOX_RE = re.compile(r"^\s*(?:\[([ xX✓✔])\]|([☐□])|([☑☒✅✓✔]))\s*")


def _take_checkbox(block: Block) -> None:
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


# ---- HTML --------------------------------------------------------------------------------

def read_html(html: str | bytes, *, first_line: int = 1) -> Source:
    """Blocks of an HTML page (a Confluence, Notion or Google Docs export, a saved wiki page).

    Paragraphs styled by hand (bold, or a larger font through a class or `style`) are marked
    so that the mapping layer can read them as headings."""
    if isinstance(html, bytes):
        try:  # most exports are UTF-8 without saying so; lxml would guess Latin-1
            html = html.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if not html.strip():
        raise DocumentError(1, "the document is empty")
    try:
        root = lxml.html.document_fromstring(html)
    except ValueError:  # a str with an XML encoding declaration: let lxml decode the bytes
        try:
            root = lxml.html.document_fromstring(
                html.encode("utf-8", "surrogatepass") if isinstance(html, str) else html)
        except (etree.ParserError, ValueError) as error:
            raise DocumentError(1, f"the HTML could not be read: {error}") from None
    except etree.ParserError as error:
        raise DocumentError(1, f"the HTML could not be read: {error}") from None
    reader = _HtmlReader(_class_styles(root), first_line - 1)
    title = " ".join((root.findtext(".//title") or "").split())
    body = root.find("body")
    reader.container(body if body is not None else root, 0)
    reader.flush()
    for block in reader.blocks:
        if block.kind == "item":
            _take_checkbox(block)
    return Source([b for b in reader.blocks if b.kind != "item" or b.lines], title)


def _declarations(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in tinycss2.parse_blocks_contents(text, skip_comments=True, skip_whitespace=True):
        if node.type == "declaration":
            out[node.lower_name] = tinycss2.serialize(node.value).strip().lower()
    return out


def _class_styles(root: Any) -> dict[str, dict[str, str]]:
    """Font weight and size given to `.class` selectors in the page's <style> (Google Docs
    styles its text this way)."""
    styles: dict[str, dict[str, str]] = {}
    for style in root.iter("style"):
        rules = tinycss2.parse_stylesheet(style.text or "", skip_comments=True,
                                          skip_whitespace=True)
        for rule in rules:
            if rule.type != "qualified-rule":
                continue
            selectors = tinycss2.serialize(rule.prelude).split(",")
            declarations = _declarations(tinycss2.serialize(rule.content))
            wanted = {k: v for k, v in declarations.items() if k in ("font-weight", "font-size")}
            if not wanted:
                continue
            for selector in selectors:
                match = re.fullmatch(r"\s*[a-z0-9]*\.([\w-]+)\s*", selector)
                if match:
                    styles.setdefault(match.group(1), {}).update(wanted)
    return styles


def _size(value: str | None) -> float:
    match = re.fullmatch(r"([\d.]+)(pt|px|em|rem)?", value or "")
    if not match:
        return 0.0
    number = float(match.group(1))
    unit = match.group(2) or "px"
    return {"pt": number, "px": number * 0.75, "em": number * 11, "rem": number * 11}[unit]


@dataclass
class _Run:
    text: str
    bold: bool = False
    size: float = 0.0
    href: str | None = None
    code: bool = False
    italic: bool = False
    brk: bool = False


class _HtmlReader:
    def __init__(self, class_styles: dict[str, dict[str, str]], offset: int) -> None:
        self.class_styles = class_styles
        self.offset = offset
        self.blocks: list[Block] = []
        self.pending: list[_Run] = []
        self.pending_line = 1

    def line_of(self, element: Any) -> int:
        return (element.sourceline or 1) + self.offset

    def style(self, element: Any) -> dict[str, str]:
        found: dict[str, str] = {}
        for name in (element.get("class") or "").split():
            found.update(self.class_styles.get(name, {}))
        if element.get("style"):
            found.update({k: v for k, v in _declarations(element.get("style")).items()
                          if k in ("font-weight", "font-size")})
        return found

    def add(self, block: Block) -> None:
        if len(self.blocks) >= MAX_BLOCKS:
            raise DocumentError(block.line, f"the document has more than {MAX_BLOCKS} blocks")
        self.blocks.append(block)

    # Blocks ---------------------------------------------------------------------------
    def flush(self) -> None:
        lines = _lines(self.pending)
        self.pending = []
        if lines:
            self.add(Block("paragraph", self.pending_line, lines))

    def container(self, element: Any, depth: int) -> None:
        if element.text and element.text.strip():
            self.inline_text(element.text, element)
        for child in element:
            if not isinstance(child.tag, str):
                pass
            elif child.tag in HTML_SKIPPED or _chrome(child):
                pass
            elif child.tag in HTML_BLOCKS:
                self.flush()
                self.block(child, depth)
            else:
                if not self.pending:
                    self.pending_line = self.line_of(child)
                self.pending.extend(self.runs(child, _Run("")))
            if child.tail and child.tail.strip():
                self.inline_text(child.tail, element)

    def inline_text(self, text: str, element: Any) -> None:
        if not self.pending:
            self.pending_line = self.line_of(element)
        base = self.base_run(element, _Run(""))
        self.pending.append(_Run(text, base.bold, base.size))

    def block(self, element: Any, depth: int) -> None:
        tag = element.tag
        line = self.line_of(element)
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            lines = _lines(self.runs(element, _Run("")))
            if lines:
                self.add(Block("heading", line, [_merge(lines)], level=int(tag[1])))
        elif tag in ("p", "dt", "dd", "figcaption", "summary", "address"):
            self.pending_line = line
            self.pending = self.runs(element, _Run(""))
            self.flush()
        elif tag in ("ul", "ol"):
            self.items(element, depth, tag == "ol")
        elif tag == "table":
            self.table(element, line)
        elif tag == "pre":
            code = element.text_content().strip("\n")
            if code.strip():
                self.add(Block("code", line, [Line(code, code)], raw=f"```\n{code}\n```"))
        elif tag == "hr":
            self.add(Block("other", line, raw="---"))
        elif tag == "li":
            self.list_item(element, depth, False)
        else:
            self.container(element, depth)
            self.flush()

    def items(self, element: Any, depth: int, ordered: bool) -> None:
        for child in element:
            if not isinstance(child.tag, str) or child.tag in HTML_SKIPPED:
                continue
            if child.tag == "li":
                self.list_item(child, depth, ordered)
            elif child.tag in ("ul", "ol"):
                self.items(child, depth + 1, child.tag == "ol")
            else:
                self.block(child, depth)

    def list_item(self, element: Any, depth: int, ordered: bool) -> None:
        item = Block("item", self.line_of(element), level=depth, ordered=ordered,
                     checked=_html_checkbox(element))
        self.add(item)
        runs: list[_Run] = []
        if element.text:
            runs.append(_Run(element.text))
        nested: list[Any] = []
        for child in element:
            if not isinstance(child.tag, str) or child.tag in HTML_SKIPPED:
                pass
            elif child.tag in ("ul", "ol"):
                nested.append(child)
            elif child.tag == "table":
                nested.append(child)
            else:
                if child.tag in ("p", "div") and runs:
                    runs.append(_Run("", brk=True))
                runs.extend(self.runs(child, _Run("")))
            if child.tail and child.tail.strip():
                runs.append(_Run(child.tail))
        item.lines = _lines(runs)
        for child in nested:
            if child.tag == "table":
                self.table(child, self.line_of(child))
            else:
                self.items(child, depth + 1, child.tag == "ol")

    def table(self, element: Any, line: int) -> None:
        rows: list[list[Line]] = []
        header = False
        for index, row in enumerate(element.iter("tr")):
            if _inside_nested_table(row, element):
                continue
            cells = [cell for cell in row if isinstance(cell.tag, str) and cell.tag in ("td", "th")]
            if index == 0:
                header = bool(cells) and (all(c.tag == "th" for c in cells)
                                          or row.getparent().tag == "thead")
            rows.append([_merge(_lines(self.runs(cell, _Run("")))) for cell in cells])
        rows = [row for row in rows if any(c.text for c in row)]
        if rows:
            self.add(Block("table", line, rows=rows, header=header or _looks_like_header(rows)))

    # Inline ---------------------------------------------------------------------------
    def base_run(self, element: Any, parent: _Run) -> _Run:
        style = self.style(element)
        weight = style.get("font-weight", "")
        bold = parent.bold or element.tag in ("b", "strong", "th") or weight in (
            "bold", "bolder", "600", "700", "800", "900")
        if weight in ("normal", "400", "300"):
            bold = element.tag in ("b", "strong")
        size = _size(style.get("font-size")) or parent.size
        return _Run("", bold, size, parent.href, parent.code or element.tag in ("code", "kbd"),
                    parent.italic or element.tag in ("em", "i"))

    def runs(self, element: Any, parent: _Run) -> list[_Run]:
        """The element's text as runs of one style; <br> and nested blocks break lines."""
        if not isinstance(element.tag, str) or element.tag in HTML_SKIPPED:
            return []
        base = self.base_run(element, parent)
        if element.tag == "a" and element.get("href"):
            base.href = element.get("href")
        if element.tag == "br":
            return [_Run("", brk=True)]
        if element.tag == "img":
            alt = element.get("alt") or ""
            return [_Run(alt, base.bold, base.size)] if alt else []
        if element.tag == "input" and element.get("type") == "checkbox":
            return [_Run("[x] " if element.get("checked") is not None else "[ ] ")]
        out: list[_Run] = []
        if element.text:
            out.append(_Run(element.text, base.bold, base.size, base.href, base.code, base.italic))
        for child in element:
            if isinstance(child.tag, str) and child.tag in ("p", "div", "li", "tr") and out:
                out.append(_Run("", brk=True))
            out.extend(self.runs(child, base))
            if child.tail:
                out.append(_Run(child.tail, base.bold, base.size, base.href, base.code,
                                base.italic))
        return out


def _chrome(element: Any) -> bool:
    """A page's navigation rather than its text: breadcrumbs, menus, sidebars."""
    names = f"{element.get('id') or ''} {element.get('class') or ''}".lower()
    return element.get("role") in ("navigation", "banner") or any(
        word in names for word in ("breadcrumb", "navbar", "sidebar", "menu", "toolbar"))


def _looks_like_header(rows: list[list[Line]]) -> bool:
    """A table without <th> (Word, Google Docs) whose first row names its columns: short
    words without digits over rows that have some."""
    if len(rows) < 2 or len(rows[0]) < 2:
        return False
    first = [re.sub(r"\([^)]*\)", "", c.text).strip() for c in rows[0]]
    named = all(c and len(c) <= 40 and not re.search(r"\d", c) for c in first)
    return named and any(re.search(r"\d", c.text) for row in rows[1:] for c in row)


def _inside_nested_table(row: Any, table: Any) -> bool:
    parent = row.getparent()
    while parent is not None and parent is not table:
        if parent.tag == "table":
            return True
        parent = parent.getparent()
    return False


def _html_checkbox(element: Any) -> bool | None:
    classes = (element.get("class") or "").split()
    if element.get("data-inline-task-id") is not None or element.getparent() is not None and \
            "inline-task-list" in (element.getparent().get("class") or ""):
        return "checked" in classes
    for node in element.iter():
        if not isinstance(node.tag, str):
            continue
        if node.tag in ("ul", "ol") and node is not element:
            break
        names = (node.get("class") or "").split()
        if "checkbox-on" in names:
            return True
        if "checkbox-off" in names:
            return False
        if node.tag == "input" and node.get("type") == "checkbox":
            return node.get("checked") is not None
    return None


def _merge(lines: list[Line]) -> Line:
    return _joined(lines)


def _lines(runs: list[_Run]) -> list[Line]:
    """Runs → lines, whitespace collapsed as a browser would, bold and links kept."""
    lines: list[Line] = []
    current: list[_Run] = []

    def close() -> None:
        words = [r for r in current if r.text.strip()]
        if words:
            text_parts, md_parts, links = [], [], []
            for run in current:
                piece = re.sub(r"\s+", " ", run.text)
                text_parts.append(piece)
                md_parts.append(_run_markdown(run, piece))
                if run.href and piece.strip():
                    links.append(run.href)
            text = re.sub(r" {2,}", " ", "".join(text_parts)).strip()
            markdown = _merge_links(md_parts)
            sizes = [r.size for r in words]
            lines.append(Line(text, markdown, _unique(links), all(r.bold for r in words),
                              min(sizes) if all(sizes) else 0.0))
        current.clear()

    for run in runs:
        if run.brk:
            close()
        else:
            current.append(run)
    close()
    return lines


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _run_markdown(run: _Run, piece: str) -> str:
    core = piece.strip()
    if not core:
        return piece
    lead = " " if piece[:1].isspace() else ""
    trail = " " if piece[-1:].isspace() else ""
    if run.code:
        core = f"`{core}`"
    if run.bold:
        core = f"**{core}**"
    elif run.italic:
        core = f"*{core}*"
    if run.href:
        core = f"\x00{core}\x01{run.href}\x02"
    return lead + core + trail


def _merge_links(parts: list[str]) -> str:
    """Adjacent runs of one link (bold inside a link, say) become one Markdown link."""
    text = re.sub(r" {2,}", " ", "".join(parts)).strip()
    text = re.sub(r"\*\*(\s*)\*\*", r"\1", text)  # two bold runs in a row: one
    text = re.sub(r"\x01([^\x02]*)\x02(\s*)\x00", lambda m: m.group(2), text)
    return re.sub(r"\x00([^\x01]*)\x01([^\x02]*)\x02", r"[\1](\2)", text)


# ---- .docx -------------------------------------------------------------------------------

def read_docx(data: bytes) -> Source:
    """Blocks of a Word or Google Docs .docx, through mammoth's HTML; positions are paragraph
    numbers (a .docx has no lines)."""
    try:
        result = mammoth.convert_to_html(io.BytesIO(data), style_map=DOCX_STYLES)
    except (zipfile.BadZipFile, KeyError, ValueError, etree.LxmlError) as error:
        raise DocumentError(1, f"the file is not a readable .docx ({error.__class__.__name__})") \
            from None
    except Exception as error:  # noqa: BLE001 - mammoth raises many kinds on a broken file
        raise DocumentError(1, f"the file is not a readable .docx ({error.__class__.__name__})") \
            from None
    html = result.value or ""
    if not html.strip():
        raise DocumentError(1, "the .docx has no text")
    source = read_html("<html><body>" + html + "</body></html>")
    for number, block in enumerate(source.blocks, start=1):
        block.line = number
    source.unit = "paragraph"
    return source
