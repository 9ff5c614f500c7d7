"""Blocks of an HTML page (a Confluence, Notion or Google Docs export, a saved wiki page) with
lxml, and of a .docx through mammoth's HTML."""

from __future__ import annotations

import io
import re
import urllib.parse
import zipfile
from dataclasses import dataclass
from typing import Any

# lxml, mammoth and tinycss2 are imported when a document is read, not when the app starts:
# a serving process that imports nothing never loads them.
from .blocks import MAX_BLOCKS, Block, Line, Source, joined, take_checkbox
from .markdown import DocumentError

HTML_BLOCKS = {"p", "div", "section", "article", "main", "header", "footer", "body", "html",
               "blockquote", "ul", "ol", "table", "pre", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
               "dl", "dt", "dd", "figure", "figcaption", "details", "summary", "center", "form",
               "fieldset", "address", "li", "tr", "td", "th", "tbody", "thead", "tfoot"}


HTML_SKIPPED = {"script", "style", "head", "nav", "noscript", "template", "svg", "button",
                "iframe", "select", "textarea", "object", "canvas", "map", "title", "meta", "link"}


CHROME_WORDS = {"nav", "navigation", "navbar", "sidebar", "menu", "toolbar", "breadcrumbs",
                "breadcrumb", "footer"}
CHROME_NAMES = {"toc", "sitesub", "catlinks", "printfooter", "jump-to-nav", "mw-head", "mw-panel",
                "mw-navigation", "siteheader", "site-header"}
DOCX_STYLES = "\n".join([
    "p[style-name='Title'] => h1:fresh",
    "p[style-name='Subtitle'] => h2:fresh",
])


def read_html(html: str | bytes, *, first_line: int = 1) -> Source:
    """Blocks of an HTML page (a Confluence, Notion or Google Docs export, a saved wiki page).

    Paragraphs styled by hand (bold, or a larger font through a class or `style`) are marked
    so that the mapping layer can read them as headings."""
    import lxml.html
    from lxml import etree

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
            take_checkbox(block)
    return Source([b for b in reader.blocks if b.kind != "item" or b.lines], title)


def _declarations(text: str) -> dict[str, str]:
    import tinycss2
    out: dict[str, str] = {}
    for node in tinycss2.parse_blocks_contents(text, skip_comments=True, skip_whitespace=True):
        if node.type == "declaration":
            out[node.lower_name] = tinycss2.serialize(node.value).strip().lower()
    return out


def _class_styles(root: Any) -> dict[str, dict[str, str]]:
    import tinycss2
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
        elif tag == "dl":
            self.definitions(element)
        elif tag == "li":
            self.list_item(element, depth, False)
        else:
            self.container(element, depth)
            self.flush()

    def definitions(self, element: Any) -> None:
        """<dt>15:39</dt><dd>DNS withdrawn</dd>: each term with its description, one line."""
        runs: list[_Run] = []
        for child in element:
            if not isinstance(child.tag, str) or child.tag not in ("dt", "dd"):
                continue
            if child.tag == "dt" and runs:
                self.pending, self.pending_line = runs, self.line_of(element)
                self.flush()
                runs = []
            if runs:
                runs.append(_Run(": "))
            runs.extend(_Run(r.text.replace("\n", " "), r.bold, r.size, r.href, r.code, r.italic)
                        for r in self.runs(child, _Run("")) if not r.brk)
        if runs:
            self.pending, self.pending_line = runs, self.line_of(element)
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
        if not isinstance(element.tag, str) or element.tag in HTML_SKIPPED or _chrome(element):
            return []
        base = self.base_run(element, parent)
        if element.tag == "a" and element.get("href"):
            base.href = _unwrapped(element.get("href"))
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
            if _is_value_chip(child) and child.getnext() is not None:
                out.append(_Run(", "))  # Notion's multi-select values sit side by side
            if child.tail:
                out.append(_Run(child.tail, base.bold, base.size, base.href, base.code,
                                base.italic))
        return out


def _chrome(element: Any) -> bool:
    """A page's navigation rather than its text: breadcrumbs, menus, sidebars, edit links."""
    names = f"{element.get('id') or ''} {element.get('class') or ''}".lower().split()
    parts = {part for name in names for part in re.split(r"[_-]+", name)}
    return element.get("role") in ("navigation", "banner") or bool(set(names) & CHROME_NAMES) \
        or bool(parts & CHROME_WORDS) or any(
            word in name for name in names for word in ("breadcrumb", "editsection"))


def _unwrapped(href: str) -> str:
    """Google Docs exports send every link through https://www.google.com/url?q=…"""
    parsed = urllib.parse.urlsplit(href)
    if parsed.netloc.endswith("google.com") and parsed.path == "/url":
        target = urllib.parse.parse_qs(parsed.query).get("q")
        if target and target[0].startswith(("http://", "https://")):
            return target[0]
    return href


def _is_value_chip(element: Any) -> bool:
    if not isinstance(element.tag, str):
        return False
    names = set((element.get("class") or "").lower().split())
    return bool(names & {"selected-value", "select-value", "tag", "label", "lozenge", "badge",
                         "chip", "pill", "aui-lozenge"})


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
    return joined(lines)


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


def read_docx(data: bytes) -> Source:
    """Blocks of a Word or Google Docs .docx, through mammoth's HTML; positions are paragraph
    numbers (a .docx has no lines)."""
    import mammoth
    from lxml import etree

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
