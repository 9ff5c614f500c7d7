"""Blocks of a Markdown document (any CommonMark/GFM: a wiki page, a repository's
postmortems/*.md, a plain-text file) from markdown-it-py's tokens."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .blocks import MAX_BLOCKS, Block, Line, Source, joined, take_checkbox
from .html_blocks import read_html
from .markdown import DocumentError


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
            take_checkbox(block)
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
            rows[-1].append(joined(lines))
        elif token.type in ("th_open", "td_open") and rows and tokens[index + 1].type != "inline":
            rows[-1].append(Line("", ""))
    return Block("table", line, rows=rows, header=header)


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
