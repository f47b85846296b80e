"""The blameless check flags text that names a person as the cause, and explains why."""

from __future__ import annotations

import pytest

from synchrony.reviews.blame import check_blame, names_to_check
from tests.factories import UserFactory

NAMES = ["Sam Okafor", "Sam", "Okafor", "sokafor", "Will", "Mark"]


def phrases(text: str) -> list[str]:
    return [f.phrase for f in check_blame(text, NAMES)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@sokafor never sent the deck", ["@sokafor"]),
        ("It was Sam's fault that the deck was late", ["Sam's fault"]),
        ("Sam forgot to brief the sales team", ["Sam forgot"]),
        ("Sam Okafor missed the deadline", ["Sam Okafor missed"]),
        ("he forgot to update the landing page", ["he forgot"]),
        ("The deck was late because Sam was on holiday", ["Sam"]),
        ("Who is to blame for the outage?", ["to blame"]),
        ("sokafor pushed the button", ["sokafor"]),
    ],
)
def test_text_naming_a_person_as_the_cause_is_flagged(text, expected):
    assert phrases(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The hand-off to sales had no checklist",
        "We will mark the lessons as applied",  # "will" and "mark" are words here
        "The webhook retried three times and then failed",
        "Emails went out 40 ms after the moment",
        "sam-ple size was too small",
        "",
    ],
)
def test_process_language_is_not_flagged(text):
    assert phrases(text) == []


def test_a_common_word_name_counts_only_as_a_cause():
    assert phrases("Will forgot to tell us") == ["Will forgot"]
    assert phrases("Will this work next time?") == []


def test_every_flag_says_why_and_suggests_a_rewording():
    [flag] = check_blame("Sam forgot to brief the sales team", NAMES)
    assert flag.why == "Names Sam as the cause."
    assert flag.suggestion == "Try: “brief the sales team was missed — what would have caught it?”"


def test_names_come_from_people(db):
    person = UserFactory(first_name="Ana", last_name="Lindqvist", username="alq")
    names = names_to_check([person])
    assert names[0] == "Ana Lindqvist"
    assert set(names) == {"Ana Lindqvist", "Ana", "Lindqvist", "alq"}
