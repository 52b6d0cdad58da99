"""rulebook.check_run (issue 23): each deterministic check on a text. Milliseconds."""

from __future__ import annotations

import pytest

from rulebook import check_run, checks
from rulebook.checks import Check, Kind, Severity


def one(kind: Kind, severity: Severity = Severity.BLOCK, **options) -> list[Check]:
    return [Check(kind, severity, kind.value, options)]


BANNED_TEXT = "# Launch\n\nOur Guaranteed Results speak.\n\nguaranteed-results are not a phrase."


def test_banned_phrases_match_whole_words_in_any_case_with_the_suggestion():
    found = check_run.run(one(Kind.BANNED, phrases=["guaranteed results"],
                              suggest="Give a figure."), BANNED_TEXT)
    assert [(f.quote, f.suggestion, f.severity) for f in found] == [
        ("Guaranteed Results", "Give a figure.", "block")]
    f = found[0]
    assert BANNED_TEXT[f.start:f.end] == f.quote and f.prefix.endswith("Our ")
    assert check_run.run(one(Kind.BANNED, phrases=["guaranteed results"], case_sensitive=True),
                      BANNED_TEXT) == []
    patterns = check_run.run(one(Kind.BANNED, patterns=[r"guaranteed\W+results"]), BANNED_TEXT)
    assert [f.quote for f in patterns] == ["Guaranteed Results", "guaranteed-results"]


def test_required_title_and_closing_call_to_action():
    c = one(Kind.REQUIRED, title=True, closing="(contact|learn more)")
    found = check_run.run(c, "No heading here.\n\nThe end.")
    assert [f.message.split(":")[0] for f in found] == [
        "No title", "No closing call to action in the last paragraph."]
    assert found[1].quote == "The end."
    assert check_run.run(c, "# Title\n\nBody.\n\nLearn more at our site.\n") == []


def test_length_against_the_brief_with_a_tolerance_or_fixed_bounds():
    text = "# T\n\n" + "word " * 100
    assert check_run.run(one(Kind.LENGTH, tolerance=0.25), text, target_words=200)[0].message == \
        "101 words: at least 150 are asked for."
    assert check_run.run(one(Kind.LENGTH, tolerance=0.25), text, target_words=100) == []
    assert "at most 50" in check_run.run(one(Kind.LENGTH, max_words=50), text)[0].message
    assert check_run.words_of("# A [link](https://x.example/a b) - c") == 3


@pytest.mark.parametrize(("text", "what"), [
    ("Write to jane.doe+pr@example.co.uk today.", "An e-mail address"),
    ("Call +44 20 7946 0958 now.", "A phone number"),
    ("Call (555) 123-4567 now.", "A phone number"),
    ("Call 555-123-4567 now.", "A phone number"),
    ("Call 020 7946 0958 now.", "A phone number"),
    ("Card 4111 1111 1111 1111 works.", "A payment card number"),
    ("Pay to GB82 WEST 1234 5698 7654 32 please.", "A bank account number (IBAN)"),
])
def test_personal_data_is_found(text, what):
    found = check_run.run(one(Kind.PERSONAL_DATA), text)
    assert [f.message.split(" must")[0] for f in found] == [what], found


@pytest.mark.parametrize("text", [
    "From 2024-2025 we grew.", "A 1,200-word piece in 3 parts.", "Card 4111 1111 1111 1112.",
    "Version 1.2.3 shipped.", "GB00 WEST 1234 5698 7654 32 is not valid.", "ISBN 978-3-16.",
])
def test_personal_data_leaves_ordinary_numbers_alone(text):
    assert check_run.run(one(Kind.PERSONAL_DATA), text) == []


def test_luhn_and_iban():
    assert check_run.luhn("4111111111111111") and not check_run.luhn("4111111111111112")
    assert check_run.iban_valid("DE89 3704 0044 0532 0130 00")
    assert not check_run.iban_valid("DE00 3704 0044 0532 0130 00")


def test_readability_uses_the_score_it_is_given():
    c = one(Kind.READABILITY, Severity.WARN, min_flesch=50)
    assert check_run.run(c, "Text.", readability=lambda text: 42.0)[0].message.startswith(
        "Flesch reading ease 42: at least 50")
    assert check_run.run(c, "Text.", readability=lambda text: 70.0) == []
    assert check_run.run(c, "Text.") == []  # no score: nothing claimed


def test_brand_terms_are_spelled_exactly():
    found = check_run.run(one(Kind.BRAND_TERMS, terms=["Redline"]),
                       "RedLine and REDLINE and Redline and redlines.")
    assert [(f.quote, f.suggestion) for f in found] == [("RedLine", "Redline"),
                                                       ("REDLINE", "Redline")]


def test_links_are_well_formed_and_on_the_allow_list():
    text = ("See [our site](https://www.example.com/a), [bad](htp:/x) and "
            "https://evil.example.org/page. Also www.example.com.")
    found = check_run.run(one(Kind.LINKS, Severity.WARN, allow=["example.com"]), text)
    assert [f.quote for f in found] == ["htp:/x", "https://evil.example.org/page"]
    assert "not a well-formed" in found[0].message
    assert "evil.example.org is not on this channel's list" in found[1].message
    assert [u for _, _, u in check_run.links(text)] == [
        "https://www.example.com/a", "htp:/x", "https://evil.example.org/page",
        "www.example.com"]


def test_findings_are_capped_with_a_last_one_that_says_how_many_more():
    text = "spam " * 300
    found = check_run.run(one(Kind.BANNED, phrases=["spam"]), text)
    assert len(found) == checks.MAX_FINDINGS
    assert found[-1].message.startswith("201 more findings")
