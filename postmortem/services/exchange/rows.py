"""Contributing factors (one per bullet, row or titled paragraph) and action items (owner,
due date, ticket link and status taken out of the line) from a foreign post-mortem."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from .blocks import Block, Line
from .timeline import Leftover
from .wording import parse_date, words

ITEM_TITLE_MAX = 300


FACTOR_WORDS: list[tuple[str, str]] = [
    ("certificate-time", r"certificat|\btls\b|\bssl\b|expir|clock|leap second|time ?zone|\bttl"),
    ("network", r"\bdns\b|\bbgp\b|network|routing|load balancer|firewall|packet|latency"),
    ("config-change", r"config|feature flag|setting|parameter|\bflag\b"),
    ("deploy-release", r"deploy|release|rollout|roll-out|canary|migration|build"),
    ("capacity", r"capacity|quota|limit|overload|load\b|memory|\bcpu\b|disk (?:full|space)|"
                 r"exhaust|autoscal|traffic spike|saturat"),
    ("data-store", r"database|\bdb\b|replica|replication|cache|redis|postgres|mysql|queue|"
                   r"kafka|storage|index|schema|failover"),
    ("cascading-failure", r"retr(?:y|ies)|timeout|cascad|thundering herd|backoff"),
    ("monitoring-gap", r"alert|monitor|dashboard|observab|metric|paging|detect"),
    ("dependency", r"upstream|vendor|third[- ]party|provider|dependency|library|\bsdk\b"),
    ("security", r"secur|attack|ddos|vulnerab|credential|secret|permission|access control"),
    ("tooling-command", r"command|script|tool|playbook|automation|cli\b"),
    ("process-communication", r"process|runbook|hand-?off|on-?call|communicat|review|"
                              r"documentation|training"),
]


ACTION_KIND_WORDS: list[tuple[str, str]] = [
    ("detect", r"alert|monitor|dashboard|detect|page\b|paging|observab|metric|probe"),
    ("mitigate", r"runbook|playbook|rollback|roll back|failover|mitigat|kill switch|"
                 r"circuit breaker|rate limit|recover"),
    ("process", r"process|review|training|document|communicat|post-?mortem|checklist|policy|"
                r"on-?call|game ?day|drill"),
]


OWNER_RE = re.compile(
    r"(?:(?:\b(?:owners?|assignee|responsible|dri)\s*[:=]\s*|\bassigned to\s+|\bowner\s+)"
    r"(?P<name>@?[\w.+-]+@[\w.-]+\.\w+|@[\w.-]+|[A-Z][\w.'-]*(?:\s[A-Z][\w.'-]*)?|[\w.-]+))"
    r"|(?<![\w/])(?P<handle>@[\w][\w.-]*\w)|(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)",
    re.IGNORECASE)


# "Use cooperative rebalancing — Mo, due Dec 1": a name after a dash, before a comma or the end.
DASH_OWNER_RE = re.compile(r"\s[—–-]\s*(?P<dashed>[A-Z][a-z]+(?: [A-Z][a-z]+)?)\s*(?=,|\(|$)")
DUE_RE = re.compile(
    r"\b(?:due(?:\s+(?:date|by|on))?|by|before|deadline|eta|target(?:\s+date)?|until|"
    r"no later than)\s*[:=-]?\s*(?P<when>(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?"
    r"(?:,?\s+\d{4})?|\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|"
    r"nov|dec)[a-z]*\.?(?:,?\s+\d{4})?|end of (?:the )?(?:week|month|quarter|year)|"
    r"next (?:week|month|quarter)))", re.IGNORECASE)


PRIORITY_RE = re.compile(r"(?:\bpriority\s*[:=-]?\s*|(?<![\w-]))(?P<p>P[0-5]|high|medium|low)"
                         r"(?![\w-])", re.IGNORECASE)


STATUS_WORDS = [("done", r"\b(?:done|completed?|finished|fixed|closed|resolved|shipped)\b|✅"),
                ("wont_do", r"\bwon'?t (?:do|fix)\b|\bwontfix\b|\bdropped\b|\bcancell?ed\b"),
                ("in_progress", r"\bin[ -]progress\b|\bongoing\b|\bstarted\b|\bwip\b")]


TICKET_RE = re.compile(r"\b[A-Z][A-Z0-9]{1,9}-\d+\b|\b(?:bug|issue|ticket)\s*#?\d{2,}\b|#\d{2,}\b",
                       re.IGNORECASE)


URL_RE = re.compile(r"https?://[^\s)>\]]+", re.IGNORECASE)


MD_LINK_RE = re.compile(r"\[([^\]]*)\]\((https?://[^)\s]+)\)")


def category_of(text: str) -> str | None:
    lowered = text.lower()
    return next((key for key, pattern in FACTOR_WORDS if re.search(pattern, lowered)), None)


@dataclass
class Factor:
    line: int
    text: str
    category: str | None


def read_factors(blocks: list[Block]) -> tuple[list[Factor], list[Leftover]]:
    """One factor per top-level bullet or table row (sub-bullets join it); one per paragraph
    when the section has no list. An introduction ending in ':' stays as text."""
    factors: list[Factor] = []
    leftovers: list[Leftover] = []
    has_rows = any(b.kind in ("item", "table") for b in blocks)
    titled = any(b.kind == "heading" for b in blocks) and not has_rows
    heading: Block | None = None
    for block in blocks:
        if titled and block.kind == "heading":
            # "### Factor 1: stale connections" then its paragraph: one factor, both parts.
            heading = block
            factors.append(Factor(block.line, block.text, category_of(block.text)))
        elif titled and heading is not None and block.kind == "paragraph":
            factors[-1].text += f" — {block.text.replace(chr(10), ' ')}"
            factors[-1].category = category_of(factors[-1].text)
        elif block.kind == "item":
            text = " ".join(line.text for line in block.lines).strip()
            if block.level and factors:
                factors[-1].text += f"; {text}"
            elif text:
                factors.append(Factor(block.line, text, category_of(text)))
        elif block.kind == "table":
            body = block.rows[1:] if block.header else block.rows
            for offset, row in enumerate(body, start=1):
                text = " — ".join(c.text for c in row if c.text)
                if text:
                    factors.append(Factor(block.line + offset, text, category_of(text)))
        elif block.kind == "paragraph" and not has_rows and not block.text.endswith(":"):
            factors.append(Factor(block.line, block.text.replace("\n", " "),
                                  category_of(block.text)))
        else:
            leftovers.append(Leftover(block.line, block.markdown, "kept as text"))
    return factors, leftovers


@dataclass
class Item:
    line: int
    title: str
    done: bool = False
    attrs: dict[str, str] = field(default_factory=dict)
    owner_name: str | None = None
    notes: list[str] = field(default_factory=list)


COLUMN_WORDS = {
    "title": r"\b(action|item|task|description|title|what|summary|remediation|follow|todo|step)",
    "owner": r"\b(owner|assignee|assigned|who|responsible|dri|lead|person)\b",
    "team": r"\b(team|group|squad)\b",
    "due": r"\b(due|deadline|eta|target|by when|date)\b",
    "url": r"\b(ticket|issue|jira|link|bug|tracking|url|reference|ref|pr)\b",
    "status": r"\b(status|state|done|complete|progress)\b",
    "priority": r"\b(priority|pri|prio|importance)\b",
    "kind": r"\b(type|kind|category)\b",
}


def read_items(blocks: list[Block], base: datetime | None) -> tuple[list[Item], list[Leftover]]:
    """One item per top-level bullet, checkbox or table row; a section without a list gives
    one per paragraph. Sub-bullets become the item's description."""
    items: list[Item] = []
    leftovers: list[Leftover] = []
    has_rows = any(b.kind in ("item", "table") for b in blocks)
    for block in blocks:
        if block.kind == "item":
            if block.level and items:
                extra = " ".join(line.markdown for line in block.lines)
                previous = items[-1]
                previous.attrs["description"] = (previous.attrs.get("description", "") + "\n- "
                                                 + extra).strip()
                continue
            markdown = " ".join(line.markdown for line in block.lines)
            items.append(item_from_text(block.line, markdown, block.checked, base))
        elif block.kind == "table":
            items.extend(_table_items(block, base))
        elif block.kind == "paragraph" and not has_rows and not block.text.endswith(":"):
            for offset, line in enumerate(block.lines):
                items.append(item_from_text(block.line + offset, line.markdown, None, base))
        else:
            leftovers.append(Leftover(block.line, block.markdown, "kept as text"))
    return items, leftovers


def item_from_text(line: int, markdown: str, checked: bool | None, base: datetime | None,
                   cells: dict[str, str] | None = None) -> Item:
    """An item from one line of Markdown: the ticket link, owner, due date, priority and status
    taken out of the title when the line names them."""
    item = Item(line, "")
    text = markdown.strip()
    attrs: dict[str, str] = {}
    link = MD_LINK_RE.search(text) or None
    if link:
        attrs["url"] = link.group(2)
        text = MD_LINK_RE.sub(lambda m: m.group(1) if m.group(1) else "", text)
    bare = URL_RE.search(text)
    if bare:
        attrs.setdefault("url", bare.group(0).rstrip(".,;"))
        text = URL_RE.sub("", text)
    text = re.sub(r"\*\*|__|`", "", text)
    text = re.sub(r"(?<!\w)[*_](\S[^*_]*)[*_](?!\w)", r"\1", text)
    paren = re.search(r"\(([^()]*(?:owner|due|by|assignee|eta|@|priority|P[0-5])[^()]*)\)\s*$",
                      text, re.IGNORECASE)
    tail = paren.group(1) if paren else ""
    if paren:
        text = text[:paren.start()]
    scan = f"{text} ({tail})" if tail else text
    due = DUE_RE.search(scan)
    if due:
        when = parse_date(due.group("when"), base, future=True)
        if when is not None:
            attrs["due"] = when.isoformat()
            text = text.replace(due.group(0), " ")
            tail = tail.replace(due.group(0), " ")
    owner = OWNER_RE.search(tail) or OWNER_RE.search(text) or DASH_OWNER_RE.search(text)
    if owner:
        name = owner.group("name") or owner.group("handle") or owner.group("email") \
            if owner.re is OWNER_RE else owner.group("dashed")
        item.owner_name = name.lstrip("@")
        text = text.replace(owner.group(0), " ")
    priority = PRIORITY_RE.search(tail) or re.search(r"(?:^|\(|\[)\s*(P[0-5])\s*(?:\)|\]|:|-)",
                                                     text)
    if priority:
        value = (priority.group(1) if priority.re is not PRIORITY_RE else priority.group("p"))
        attrs["priority"] = _priority(value)
        if priority.re is not PRIORITY_RE:
            text = text.replace(priority.group(0), " ")
    if tail:
        # What else the parentheses said ("see the runbook") is kept, not dropped.
        rest = tail
        for found in (owner, priority):
            if found is not None:
                rest = rest.replace(found.group(0), " ")
        rest = re.sub(r"\b(?:done|completed?|in progress|todo|wip|owner|due)\b", " ", rest,
                      flags=re.IGNORECASE)
        rest = re.sub(r"[\s,;]+", " ", rest).strip(" ,;:-")
        if re.search(r"[A-Za-z]{3,}", rest):
            attrs["description"] = f"{attrs.get('description', '')}\n({rest})".strip()
    done = bool(checked)
    status_scan = f"{tail} {text[-30:]}" if checked is None else tail
    for status, pattern in STATUS_WORDS:
        if re.search(pattern, status_scan, re.IGNORECASE):
            if status == "done":
                done = True
            else:
                attrs["status"] = status
            break
    if cells:
        item.owner_name = cells.get("owner") or item.owner_name
        if cells.get("team"):
            attrs["team"] = cells["team"][:100]
        if cells.get("due"):
            when = parse_date(cells["due"], base, future=True)
            if when is not None:
                attrs["due"] = when.isoformat()
            else:
                item.notes.append(f"the due date '{cells['due']}' could not be read; it is kept "
                                  "in the description")
                attrs["description"] = f"Due: {cells['due']}"
        if cells.get("priority"):
            attrs["priority"] = _priority(cells["priority"])
        status_text = (cells.get("status") or "").lower()
        if status_text:
            for status, pattern in STATUS_WORDS:
                if re.search(pattern, status_text):
                    done = done or status == "done"
                    if status != "done":
                        attrs["status"] = status
                    break
        if cells.get("kind"):
            attrs["kind_hint"] = cells["kind"]
    marker = re.match(r"^\s*(?:\[?(TODO|DONE|WIP|FIXME)\]?\s*[:\-–—]\s*)", text)
    if marker:
        done = done or marker.group(1) == "DONE"
        text = text[marker.end():]
    closing = re.search(r"\s*[(\[]?\b(DONE|TODO|COMPLETED?|WIP)\b[)\]]?\s*$", text)
    if closing:
        done = done or closing.group(1) in ("DONE", "COMPLETE", "COMPLETED")
        text = text[:closing.start()]
    text = re.sub(r"~~([^~]+)~~", r"\1", text)
    title = re.sub(r"\s+", " ", text)
    title = re.sub(r"\s+([,;])", r"\1", title)
    title = re.sub(r"[,;]\s*(?=\()", " ", title)
    title = re.sub(r"\s*[,;]\s*(?=[,;]|$)", "", title)
    title = re.sub(r"(?:\s*[—–-]\s*)+$|^\s*[—–:-]\s*|\(\s*[,;]?\s*\)", "", title).strip(" ,;:")
    if not title:
        title = re.sub(r"\s+", " ", markdown).strip() or "Action item"
    if len(title) > ITEM_TITLE_MAX:
        attrs["description"] = (title + "\n" + attrs.get("description", "")).strip()
        title = title[:ITEM_TITLE_MAX - 1].rsplit(" ", 1)[0] + "…"
    kind_hint = attrs.pop("kind_hint", "")
    named_kind = next((kind for kind, stem in (("prevent", "prevent"), ("mitigate", "mitigat"),
                                               ("detect", "detect"), ("process", "process"))
                       if stem in kind_hint.lower()), None)
    kind_hint += " " + title
    attrs["kind"] = named_kind or next((kind for kind, pattern in ACTION_KIND_WORDS
                          if re.search(pattern, kind_hint, re.IGNORECASE)), "prevent")
    if attrs.get("priority") is None:
        attrs.pop("priority", None)
    item.title, item.done, item.attrs = title, done, attrs
    return item


def _priority(value: str) -> str:
    lowered = value.strip().lower()
    if lowered in ("high", "critical", "urgent", "p0", "p1"):
        return "P1"
    if lowered in ("medium", "normal", "p2"):
        return "P2"
    return "P3"


def _table_items(block: Block, base: datetime | None) -> list[Item]:
    rows = block.rows
    columns: dict[str, int] = {}
    if block.header:
        for index, cell in enumerate(rows[0]):
            name = words(cell.text)
            for role, pattern in COLUMN_WORDS.items():
                if role not in columns and re.search(pattern, name):
                    columns[role] = index
                    break
    body = rows[1:] if block.header else rows
    if "title" not in columns:
        widths = [sum(len(r[i].text) for r in body if i < len(r))
                  for i in range(max(len(r) for r in rows))]
        free = [i for i in range(len(widths)) if i not in columns.values()]
        columns["title"] = max(free, key=lambda i: widths[i]) if free else 0
    items: list[Item] = []
    names = [c.text for c in rows[0]] if block.header else []
    for offset, row in enumerate(body, start=1):
        cells = {role: row[i].text for role, i in columns.items() if i < len(row)}
        title_cell = row[columns["title"]] if columns["title"] < len(row) else Line("", "")
        markdown = title_cell.markdown
        if "url" in columns and columns["url"] < len(row):
            ticket = row[columns["url"]]
            url = next(iter(ticket.links), None) or (ticket.text if URL_RE.fullmatch(
                ticket.text.strip()) else None)
            ticket_id = TICKET_RE.search(ticket.text)
            if url:
                markdown = f"{markdown} [{ticket.text if ticket.text != url else ''}]({url})"
            elif ticket_id:
                markdown = f"{ticket_id.group(0)} {markdown}"
        if not (markdown.strip() or any(cells.values())):
            continue
        if "status" not in columns:
            row_text = " ".join(c.text for c in row)
            status_word = re.search(r"\b(DONE|TODO|COMPLETED?|OPEN|IN PROGRESS|WON'?T (?:DO|FIX))\b",
                                    row_text)
            if status_word:
                cells["status"] = status_word.group(1).lower().replace("todo", "open")
        checked = True if re.search(r"^\s*(?:\[x\]|☑|✅|✓|yes)\s*$", cells.get("status", ""),
                                    re.IGNORECASE) else None
        item = item_from_text(block.line + offset, markdown, checked, base, cells)
        used = set(columns.values())
        if "url" in columns and columns["url"] < len(row) and not row[columns["url"]].links \
                and not TICKET_RE.fullmatch(row[columns["url"]].text.strip()):
            used.discard(columns["url"])  # "n/a DONE" is no ticket: keep it as written
        leftover = [f"{names[i] if i < len(names) and names[i] else f'Column {i + 1}'}: "
                    f"{cell.text}" for i, cell in enumerate(row)
                    if i not in used and cell.text and not (
                        i < len(names) and words(names[i]) in ("", "no", "nr", "id", "number")
                        and cell.text.strip().isdigit())]
        if leftover:
            item.attrs["description"] = "\n".join(
                [item.attrs.get("description", ""), *leftover]).strip()
        items.append(item)
    return items
