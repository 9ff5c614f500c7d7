"""The words other teams' post-mortems use: headings and metadata names mapped to ours,
severity scales, dates, times, zones and durations as people write them (dateparser)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# What a heading means: the first rule whose words it contains wins, so narrower rules first.
# Targets: a template section key, or factors / timeline / actions / metadata.
HEADING_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("metadata", ("incident details", "incident information", "incident info", "incident data",
                  "metadata", "key facts", "key information", "at a glance", "properties",
                  "details", "incident metadata", "document control", "report details",
                  "incident overview table", "fact sheet", "facts")),
    ("where_we_got_lucky", ("lucky", "got fortunate")),
    ("what_went_well", ("went well", "went right", "things that worked", "what worked",
                        "successes", "what helped")),
    ("what_went_poorly", ("went wrong", "went poorly", "went badly", "didn t go well",
                          "did not go well", "could have gone better", "could be improved",
                          "areas for improvement", "what didn t work", "what did not work",
                          "challenges", "problems encountered", "pain points")),
    ("lessons_learned", ("lesson", "learnings", "learned", "learnt", "takeaway", "reflections",
                         "what we learned", "retrospective")),
    ("timeline", ("timeline", "chronolog", "sequence of events", "event log", "events",
                  "time line", "log of events", "history of events", "incident log",
                  "play by play", "what happened when", "timestamps")),
    ("actions", ("action item", "action plan", "actions", "follow up", "follow-up", "followup",
                 "next steps", "corrective", "preventive", "preventative", "remediation item",
                 "remediations", "remediation and prevention", "prevention", "todo", "to do",
                 "tasks", "tickets", "improvements", "fixes planned", "work items",
                 "action", "mitigation items", "recommendations")),
    ("factors", ("root cause", "contributing", "causes", "cause", "why it happened", "fault",
                 "why did this happen", "what caused", "causal", "rca", "five whys", "5 whys",
                 "trigger", "technical analysis", "analysis")),
    ("impact", ("impact", "blast radius", "customer effect", "user effect", "affected users",
                "scope", "who was affected", "consequences", "symptoms", "user experience",
                "customer experience", "effect on customers", "effect on users")),
    ("detection", ("detection", "detect", "how we found out", "discovery", "alerting",
                   "how it was noticed", "how we noticed")),
    ("recovery", ("resolution", "recovery", "mitigation", "remediation", "how it was fixed",
                  "how we fixed", "fix", "restoration", "resolving", "recovering")),
    ("response", ("response", "investigation", "escalation", "diagnosis", "troubleshooting",
                  "handling", "how we responded")),
    ("summary", ("summary", "overview", "tl dr", "tldr", "what happened", "description",
                 "abstract", "synopsis", "background", "introduction", "executive",
                 "incident report", "the incident", "about the incident")),
]
# Headings that are one metadata value (`## Severity` then `SEV-2`).
VALUE_HEADINGS = {"severity", "priority", "date", "status", "owner", "owners", "authors",
                  "author", "incident commander", "services", "affected services",
                  "affected systems", "systems", "duration", "tags", "labels", "incident date",
                  "start time", "end time", "time zone", "timezone", "severity level"}

# Metadata names → our fields. Anything else is kept as metadata under its own name.
META_RULES: dict[str, tuple[str, ...]] = {
    "title": ("title", "incident title", "name", "incident name", "subject"),
    "severity": ("severity", "sev", "severity level", "incident severity", "priority",
                 "incident priority", "impact level", "level", "classification",
                 "incident level", "urgency", "seriousness", "criticality", "incident class"),
    "date": ("date", "incident date", "day", "date of incident", "occurred", "occurred on",
             "when", "event date", "outage date", "incident day", "date time", "date and time"),
    "started_at": ("started", "start", "start time", "impact start", "incident start", "began",
                   "started at", "start of impact", "outage start", "time started",
                   "first impact", "impact began", "start date", "impact started",
                   "incident start time", "outage began", "start of incident",
                   "impact start time", "began at"),
    "detected_at": ("detected", "detection time", "detected at", "time detected", "alerted",
                    "first alert", "discovered", "reported", "detection", "alert time",
                    "time of detection", "reported at", "detected on"),
    "mitigated_at": ("mitigated", "mitigated at", "mitigation time", "time mitigated",
                     "impact end", "impact ended", "end of impact", "recovered", "restored",
                     "service restored", "mitigation", "impact stopped", "impact end time"),
    "resolved_at": ("resolved", "resolved at", "resolution time", "time resolved", "ended",
                    "end", "end time", "incident end", "closed", "fixed", "all clear",
                    "resolution", "outage end", "end date", "closed at", "incident end time",
                    "resolved on"),
    "time_to_detect": ("time to detect", "ttd", "mttd", "detection delay", "time to detection"),
    "time_to_mitigate": ("time to mitigate", "ttm", "mttm", "time to mitigation",
                         "time to recover", "ttr", "mttr", "time to restore",
                         "time to recovery"),
    "time_to_resolve": ("time to resolve", "time to resolution", "mttres"),
    "duration": ("duration", "total duration", "outage duration", "length", "impact duration",
                 "downtime", "outage length", "incident duration", "time to resolve impact"),
    "commander": ("incident commander", "ic", "commander", "incident lead", "incident manager",
                  "incident owner", "lead", "incident coordinator", "im"),
    "owner": ("owner", "owners", "postmortem owner", "post mortem owner", "author", "authors",
              "written by", "report owner", "document owner", "prepared by", "editor",
              "postmortem author", "report author", "drafted by"),
    "status": ("status", "incident status", "postmortem status", "post mortem status",
               "document status", "report status", "review status", "state"),
    "services": ("services", "service", "affected services", "systems", "system",
                 "affected systems", "components", "affected components", "impacted services",
                 "impacted systems", "products", "product", "affected products",
                 "service s", "applications", "application", "affected service",
                 "affected system", "affected component", "impacted service", "platform"),
    "tags": ("tags", "labels", "keywords", "tag", "label", "categories", "category", "type",
             "incident type"),
    "timezone": ("time zone", "timezone", "tz", "times in", "all times"),
    "summary": ("summary", "tl dr", "tldr", "description", "overview", "what happened"),
    "impact": ("impact", "customer impact", "user impact", "business impact", "users affected",
               "customers affected", "affected users", "affected customers", "scope"),
    "factors": ("root cause", "root causes", "cause", "trigger", "contributing factor",
                "contributing factors", "causes"),
    "detection": ("how detected", "detection method", "detected by", "detection source"),
    "recovery": ("resolution summary", "fix", "remediation", "how resolved", "resolved by"),
}
META_INDEX = {name: field for field, names in META_RULES.items() for name in names}
SECTION_META = {"summary", "impact", "detection", "recovery"}


def words(text: str) -> str:
    """Lowercase words only: numbering, emoji, punctuation and parentheses gone."""
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text.lower())
    text = re.sub(r"^\s*(?:\d+(?:\.\d+)*[.)]|\d+\.\d+(?:\.\d+)*|[ivx]+\.|[a-z]\))\s+", " ", text)
    text = re.sub(r"[^a-z0-9&]+", " ", text.replace("’", "'").replace("'", " "))
    return " ".join(text.split())


def heading_target(heading: str) -> str | None:
    """What a heading means (a template section key, factors, timeline, actions, metadata),
    or None when nothing matches."""
    plain = words(heading)
    if not plain or len(plain) > 80 or len(plain.split()) > 8:
        return None
    if plain in VALUE_HEADINGS:
        return "value"
    padded = f" {plain} "
    for target, phrases in HEADING_RULES:
        for phrase in phrases:
            if f" {phrase} " in padded or (len(phrase) > 5 and padded.find(f" {phrase}") >= 0):
                return target
    return None


def is_section_name(text: str) -> bool:
    """A short heading that names a section ("Summary", "Root causes"), not a title that
    happens to hold such a word ("Outage triggered by a config push")."""
    return heading_target(text) is not None and len(words(text).split()) <= 4


def meta_field(name: str) -> str | None:
    """Our field for a metadata name (`Impact start` → started_at), or None."""
    plain = words(name)
    if plain in META_INDEX:
        return META_INDEX[plain]
    for prefix in ("incident ", "the ", "post mortem ", "postmortem "):
        if plain.startswith(prefix) and plain[len(prefix):] in META_INDEX:
            return META_INDEX[plain[len(prefix):]]
    return None


# ---- severity ----------------------------------------------------------------------------

SEVERITY_WORDS = {
    "critical": 1, "blocker": 1, "emergency": 1, "catastrophic": 1, "urgent": 1, "highest": 1,
    "outage": 1, "severe": 2, "major": 2, "high": 2, "significant": 2, "serious": 2,
    "moderate": 3, "medium": 3, "minor": 3, "normal": 3, "degraded": 3, "low": 4, "lowest": 4,
    "trivial": 4, "cosmetic": 4, "informational": 4, "info": 4, "negligible": 4,
    "red": 1, "orange": 2, "amber": 3, "yellow": 3, "green": 4,  # colour-coded scales
}
SEVERITY_RE = re.compile(r"\b(sev|severity|s|p|priority|pri|level|lvl|l|tier|cat|category)"
                         r"[\s_:#-]*([0-5])\b", re.IGNORECASE)


def severity_of(value: str) -> tuple[str, str] | None:
    """(SEV1..SEV4, how it was read) for a severity in any common scale, or None.

    Numbers keep their rank (SEV-1, P1, Level 1 → SEV1); 0 is the top (SEV1) and 5 the
    bottom (SEV4); words map by meaning (Critical → SEV1, Major → SEV2, Minor → SEV3, Low →
    SEV4)."""
    text = value.strip()
    match = SEVERITY_RE.search(text)
    if match:
        number = int(match.group(2))
    elif re.fullmatch(r"[0-5]", text):
        number = int(text)
    else:
        number = next((rank for word, rank in SEVERITY_WORDS.items()
                       if re.search(rf"\b{word}\b", text, re.IGNORECASE)), -1)
    leading = re.match(r"\s*([0-5])\b", text)  # "2 - High", "1 (highest)"
    if leading:
        number = int(leading.group(1))
        if number < 0:
            return None
    level = min(max(number, 1), 4)
    return f"SEV{level}", text


# ---- time --------------------------------------------------------------------------------

MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
         r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|rsday|urday)?\.?,?\s+)"
DATE_PART = (rf"(?:{WEEKDAY}?(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{4}}/\d{{1,2}}/\d{{1,2}}|"
             rf"\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?|\d{{1,2}}\.\d{{1,2}}\.\d{{2,4}}|"
             rf"{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|"
             rf"\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH}(?:,?\s+\d{{4}})?))")
ZONE = (r"(?:(?:UTC|GMT)\s?[+-]\d{1,2}(?::?\d{2})?|Z|UTC|GMT|UT|(?<=\s)[+-]\d{2}:?\d{2}|"
        r"[A-Z][A-Z]?[SD]T|[A-Z]{2,4}T|"
        r"CET|CEST|EET|EEST|WET|WEST|BST|IST|JST|KST|AEST|AEDT|MSK|SGT|HKT|PT|ET|CT|MT)")
TIME_PART = (r"(?:\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[ap]\.?m\.?)?|\d{1,2}\s*[ap]\.?m\.?|"
             r"\d{4}\s*(?:Z|UTC|hrs|h)\b|\d{1,2}h\d{2})")
STAMP_RE = re.compile(
    rf"^(?P<lead>[\s>*_`\[(|#~-]*)"
    rf"(?P<pre>[(\[]?\+\s*\d+\s*(?:d|days?)[)\]]?\s*)?"
    rf"(?:(?:at|by|around|approximately|approx\.?|about|circa|ca\.|~)\s*)?"
    rf"(?:(?P<date>{DATE_PART})(?:\s*(?:T|,|@|at|-|–|—)?\s*))?"
    rf"(?P<time>{TIME_PART})"
    rf"(?:\s*(?P<zone>\(?(?-i:{ZONE})\)?)(?![A-Za-z]))?"
    rf"(?:\s*(?:[-–—]|to|until)\s*(?:{DATE_PART}\s*)?{TIME_PART}(?:\s*(?P<zone2>\(?(?-i:{ZONE})\)?)(?![A-Za-z]))?)?"
    rf"(?P<offset>\s*[(\[]?\s*(?:\+|day\s*\+?)\s*\d+\s*(?:d|days?)?\s*[)\]]?)?"
    rf"(?P<trail>[\s*_`\])|:,.–—-]*)",
    re.IGNORECASE)
INNER_TIME_RE = re.compile(rf"(?<![\d:.])(\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?:\s*[ap]\.?m\.?)?)"
                           rf"(?:\s*\(?((?-i:{ZONE}))\)?(?![A-Za-z]))?(?![\d:])", re.IGNORECASE)
DAY_MARK_RE = re.compile(r"^\W*(?:day|d)\s*[+-]?\s*(\d{1,2})\b\W*(.*)$", re.IGNORECASE)
OFFSET_RE = re.compile(r"\+\s*(\d+)\s*(?:d|days?)\b", re.IGNORECASE)
DATE_ONLY_RE = re.compile(rf"^\W*(?P<date>{DATE_PART})\W*$", re.IGNORECASE)
DATE_SEARCH_RE = re.compile(rf"(?<![\w/.-]){DATE_PART}(?![\w/-])", re.IGNORECASE)
TZ_HINT_RE = re.compile(rf"\b(?:all\s+)?times?\s*(?:are\s+|shown\s+|listed\s+|given\s+)?"
                        rf"(?:in\s+|are\s+|:\s*)?(?P<zone>{ZONE})\b(?!-)")
DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(d|days?|h|hrs?|hours?|m|mins?|minutes?|s|secs?|"
                         r"seconds?)\b", re.IGNORECASE)
ZONE_NAMES = {"PT": "America/Los_Angeles", "ET": "America/New_York", "CT": "America/Chicago",
              "MT": "America/Denver", "UT": "UTC", "Z": "UTC"}
REGIONS = {"pacific": "America/Los_Angeles", "eastern": "America/New_York",
           "central": "America/Chicago", "mountain": "America/Denver"}
REGION_RE = re.compile(r"\b(Pacific|Eastern|Central|Mountain)\b(?=\s*(?:\)|time|standard|"
                       r"daylight|$))", re.IGNORECASE)
SETTINGS = {"RETURN_AS_TIMEZONE_AWARE": False, "PREFER_DAY_OF_MONTH": "first",
            "PARSERS": ["timestamp", "absolute-time", "custom-formats"]}


def zone_of(text: str | None) -> tzinfo | None:
    """A time zone written as an abbreviation (PDT, CET), an offset (+02:00, UTC-5) or an
    IANA name (Europe/Berlin); None when it is none of those."""
    if not text:
        return None
    name = text.strip().strip("()").strip()
    if not name:
        return None
    if name.upper() in ("UTC", "GMT", "Z", "UT"):
        return UTC
    if name.upper() in ZONE_NAMES:
        return ZoneInfo(ZONE_NAMES[name.upper()])
    if "/" in name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return None
    offset = re.fullmatch(r"(?:UTC|GMT)?\s?([+-])(\d{1,2})(?::?(\d{2}))?", name, re.IGNORECASE)
    if offset:
        minutes = int(offset.group(2)) * 60 + int(offset.group(3) or 0)
        if minutes > 14 * 60:
            return None
        return timezone(timedelta(minutes=minutes if offset.group(1) == "+" else -minutes))
    from dateparser.timezone_parser import pop_tz_offset_from_string  # loaded when first used

    _, found = pop_tz_offset_from_string("00:00 " + name.upper())
    return found if isinstance(found, tzinfo) else None


def zone_hint(text: str) -> tzinfo | None:
    """The zone a sentence such as "all times PDT", "Timeline (UTC)" or "Time (Pacific)"
    names."""
    match = TZ_HINT_RE.search(text)
    if match:
        return zone_of(match.group("zone"))
    region = REGION_RE.search(text)
    if region:
        return ZoneInfo(REGIONS[region.group(1).lower()])
    paren = re.search(rf"\(\s*(?:in\s+)?({ZONE})\s*\)", text)
    return zone_of(paren.group(1)) if paren else None


def parse_date(text: str, base: datetime | None = None, *, future: bool = False) -> date | None:
    """A day as people write it (2024-03-01, March 1st 2024, 1 Mar, 03/01/2024); a day
    without its year takes the base's. 04/10 could be April or October: the reading nearer
    the base wins (US order when there is no base)."""
    value = _parse(text, base, date_only=True, future=future)
    numeric = re.fullmatch(r"\s*(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2,4}))?\s*", text)
    if value is not None and numeric and base is not None and int(numeric.group(1)) <= 12 \
            and int(numeric.group(2)) <= 12:
        try:
            swapped = value.replace(month=value.day, day=value.month)
        except ValueError:
            swapped = value
        if abs(swapped - base.replace(tzinfo=None)) < abs(value - base.replace(tzinfo=None)):
            value = swapped
    return value.date() if value else None


def parse_moment(text: str, base: datetime | None, zone: tzinfo | None) -> datetime | None:
    """A date and time as people write them, in UTC: a zone in the text wins over `zone`,
    which wins over UTC. A time alone takes the base's day."""
    value = _parse(text, base, date_only=False)
    if value is None:
        return None
    written = re.search(rf"(?<![A-Za-z])({ZONE})(?![A-Za-z])\)?\s*$", text.strip())
    local = zone_of(written.group(1)) if written else None
    value = value.replace(tzinfo=local or zone or UTC)
    return value.astimezone(UTC)


def _parse(text: str, base: datetime | None, *, date_only: bool,
           future: bool = False) -> datetime | None:
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text.strip().strip("*_`()[]").strip())
    cleaned = re.sub(rf"\s*\(?(?<![A-Za-z]){ZONE}\)?\s*$", "", cleaned) if not date_only \
        else cleaned
    cleaned = re.sub(r"\bat\b|@", " ", cleaned).strip(" ,-")
    if not cleaned or len(cleaned) > 80:
        return None
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?",
                       cleaned)
    try:
        if iso:
            parts = [int(p) if p else 0 for p in iso.groups()]
            return datetime(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])
    except ValueError:
        return None
    settings: dict[str, object] = dict(SETTINGS)
    # 10/04/2021 is October 4 (the US habit); 04.10.2021 is 4 October (the European one).
    settings["DATE_ORDER"] = "DMY" if re.search(r"\b\d{1,2}\.\d{1,2}\.\d{2,4}\b", cleaned) \
        else "MDY"
    settings["REQUIRE_PARTS"] = ["day", "month"] if date_only else []
    if future:  # a due date without its year is the next one after the incident
        settings["PREFER_DATES_FROM"] = "future"
    if base is not None:
        settings["RELATIVE_BASE"] = base.replace(tzinfo=None)
    try:
        import dateparser  # loaded when first used, not when the app starts

        value = dateparser.parse(cleaned, languages=["en"], settings=settings)  # type: ignore[arg-type]
    except (ValueError, OverflowError, TypeError, AttributeError):
        return None
    if value is None or not 1900 <= value.year <= 2999:
        return None
    return value.replace(tzinfo=None)


def parse_duration(text: str) -> timedelta | None:
    """2h 5m, 1 hour 23 minutes, 45 min, 00:07 (HH:MM) or 01:02:03."""
    clock = re.fullmatch(r"\s*(\d{1,3}):(\d{2})(?::(\d{2}))?\s*", text)
    if clock:
        return timedelta(hours=int(clock.group(1)), minutes=int(clock.group(2)),
                         seconds=int(clock.group(3) or 0))
    total = timedelta()
    found = False
    for number, unit in DURATION_RE.findall(text):
        found = True
        amount = float(number)
        first = unit[0].lower()
        total += {"d": timedelta(days=amount), "h": timedelta(hours=amount),
                  "m": timedelta(minutes=amount), "s": timedelta(seconds=amount)}[first]
    return total if found and total < timedelta(days=366) else None


def find_dates(text: str) -> list[str]:
    """The day-like phrases in a text, in order (for a start day the metadata does not give)."""
    return [m.group(0) for m in DATE_SEARCH_RE.finditer(text)]
