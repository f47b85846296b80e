from __future__ import annotations

from synchrony.lib.text import sentence, sentences


def test_messages_that_are_sentences_join_as_prose_not_with_semicolons():
    problems = [
        "In-app messages content has no body.",
        "Channel In-app messages cannot send to its endpoint URL",
    ]
    assert sentences(problems) == (
        "In-app messages content has no body. "
        "Channel In-app messages cannot send to its endpoint URL."
    )
    assert ".;" not in sentences(problems)
    assert sentence("  Is it   ready? ") == "Is it ready?"
    assert sentences([]) == "" and sentences(["", " "]) == ""


def test_within_a_limit_whole_sentences_are_kept_and_the_rest_counted():
    problems = [f"Gate {n} is not ready." for n in range(1, 6)]
    assert sentences(problems, limit=60) == (
        "Gate 1 is not ready. Gate 2 is not ready. And 3 more."
    )
    assert len(sentences(problems, limit=60)) <= 60
    cut = sentences(["x" * 100, "Gate 2 is not ready."], limit=40)
    assert cut.endswith("… And 1 more.") and len(cut) <= 40
    assert sentences(["x" * 100], limit=10) == "x" * 9 + "…"
