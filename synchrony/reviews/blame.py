"""The blameless check: a simple, explainable flag on text that names a person as the cause.

It never blocks. It says which words it noticed and why, and suggests a rewording that
talks about the process or the system; the writer may post the text as written.

Rules, in order (each says what it saw):
1. an @mention (``@sam``);
2. talk of fault or blame (``Sam's fault``, ``to blame``, ``whose fault``);
3. a person or pronoun followed by a failure verb (``he forgot``, ``Sam missed``);
4. the name of someone on the project (full name, username, or a first or last name
   written with its capital letter). Names that are also ordinary words ("Will",
   "May", "Mark") count only in rule 3's pattern, to keep false alarms down.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

FAILURE_VERBS = (
    r"forgot|failed|didn['’]t|did not|never|dropped the ball|messed up|screwed up|broke|"
    r"ignored|missed|should have|was late|were late|was too late|lost"
)
PROCESS_HINT = (
    "Describe what in the process or system let it happen: which step, hand-off, check "
    "or tool was missing or unclear."
)
# First names that are also ordinary English words.
COMMON_WORDS = frozenset(
    (  # noqa: SIM905 - a list of words reads better as words
        "will may mark bill sue max rose joy hope summer april june grace faith art guy ray "
        "page case chase dawn don pat rich sky amber august bob carol holly ivy jack jay lily "
        "drew frank gene hunter mason miles penny reed sandy sterling wade victor"
    ).split()
)

MENTION = re.compile(r"(?<![\w@])@[\w.-]{2,}")
FAULT = re.compile(
    r"\b(?:\w+['’]s fault|fault of \w+|whose fault|(?:to )?blame[sd]?|blaming)\b",
    re.IGNORECASE,
)
PRONOUN_FAILURE = re.compile(
    rf"\b(?:he|she|someone|somebody)\s+(?:{FAILURE_VERBS})\b(?:\s+to\s+(?P<task>[^.,;!?\n]{{3,60}}))?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class BlameFlag:
    phrase: str  # the words the check noticed, as written
    why: str
    suggestion: str


def _suggest_for_missed(task: str | None) -> str:
    if task:
        return f"Try: “{task.strip()} was missed — what would have caught it?”"
    return PROCESS_HINT


def names_to_check(people: Iterable[object]) -> list[str]:
    """The spellings of people's names worth noticing: full name, username, first, last."""
    found: set[str] = set()
    for person in people:
        get_full_name = getattr(person, "get_full_name", None)
        full = get_full_name() if callable(get_full_name) else ""
        for value in (
            full,
            getattr(person, "username", ""),
            getattr(person, "first_name", ""),
            getattr(person, "last_name", ""),
        ):
            value = (value or "").strip()
            if len(value) >= 3:
                found.add(value)
    # Longest first, so "Sam Okafor" is reported rather than "Sam" and "Okafor".
    return sorted(found, key=len, reverse=True)


def check_blame(text: str, names: Iterable[str] = ()) -> list[BlameFlag]:
    """What in `text` may read as blaming a person, with why and a suggested rewording."""
    flags: list[BlameFlag] = []
    seen: set[str] = set()

    def add(phrase: str, why: str, suggestion: str) -> None:
        key = phrase.casefold()
        if key not in seen and not any(key in s for s in seen):
            seen.add(key)
            flags.append(BlameFlag(phrase, why, suggestion))

    for match in MENTION.finditer(text):
        add(match.group(0), "An @mention points at a person.", PROCESS_HINT)
    for match in FAULT.finditer(text):
        add(
            match.group(0),
            "Talks about fault or blame.",
            "A blameless retrospective asks what allowed it, not who did it. " + PROCESS_HINT,
        )
    for match in PRONOUN_FAILURE.finditer(text):
        add(
            match.group(0).split(" to ")[0],
            "Describes a person as the cause.",
            _suggest_for_missed(match.group("task")),
        )
    for name in names:
        simple = " " not in name
        common = simple and name.casefold() in COMMON_WORDS
        escaped = re.escape(name)
        failure = re.compile(
            rf"(?<![\w@]){escaped}\s+(?:{FAILURE_VERBS})\b(?:\s+to\s+(?P<task>[^.,;!?\n]{{3,60}}))?",
            0 if simple else re.IGNORECASE,
        )
        for match in failure.finditer(text):
            add(
                match.group(0).split(" to ")[0],
                f"Names {name} as the cause.",
                _suggest_for_missed(match.group("task")),
            )
        if common:
            continue
        # A single first or last name counts when written with its capital, as a name is;
        # a full name or a username counts however it is written.
        pattern = re.compile(
            rf"(?<![\w@]){escaped}(?!\w)",
            0 if simple and name[:1].isupper() else re.IGNORECASE,
        )
        for match in pattern.finditer(text):
            add(
                match.group(0),
                f"Names a person ({match.group(0)}).",
                "Items are about process and systems. Name the role or the step "
                "(for example “the sales briefing”) rather than the person.",
            )
    return flags
