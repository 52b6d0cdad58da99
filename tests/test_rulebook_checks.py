"""rulebook.checks (issue 23): the TOML file of a channel's checks (refused line by line), each
deterministic check on a text, and what findings do to a draft. Milliseconds: no database,
no Temporal."""

from __future__ import annotations

from pathlib import Path

import pytest

from rulebook import checks
from rulebook.checks import Check, ChecksError, Kind, Severity

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / \
    "checks-press-release.toml"


def one(kind: Kind, severity: Severity = Severity.BLOCK, **options) -> list[Check]:
    return [Check(kind, severity, kind.value, options)]


def refused(source: str) -> list[str]:
    with pytest.raises(ChecksError) as err:
        checks.parse(source)
    return err.value.problems


def test_the_example_file_reads_and_round_trips():
    parsed = checks.parse(EXAMPLE.read_text())
    assert [c.name for c in parsed] == ["claims", "stock openers", "competitors",
                                        "personal_data", "structure", "length", "readability",
                                        "brand_terms", "links"]
    assert parsed[0].severity == Severity.BLOCK and parsed[5].severity == Severity.WARN
    assert checks.load(c.as_dict() for c in parsed) == parsed


@pytest.mark.parametrize(("source", "problem"), [
    ('[[checks]]\nkind = "spelling"\n', 'line 2: unknown check kind \'spelling\''),
    ('[[checks]]\nkind = "banned"\nphrases = ["a"]\n\n[[checks]]\nkind = "banned"\n'
     'patterns = ["(a+)+$"]\n', "line 7: the pattern '(a+)+$' nests quantifiers"),
    ('[[checks]]\nkind = "banned"\npatterns = ["(unclosed"]\n',
     "line 3: the pattern '(unclosed' does not compile"),
    ('[[checks]]\nkind = "readability"\nmin_flesch = 150\n',
     "line 3: 'min_flesch' is a Flesch reading ease, from 0 (hardest) to 100"),
    ('[[checks]]\nkind = "banned"\nphrases = ["x"]\ncolour = "red"\n',
     "line 4: banned checks have no key 'colour'"),
    ('[[checks]]\nkind = "banned"\nphrases = ["x"]\nseverity = "fatal"\n',
     "line 4: severity must be \"block\" or \"warn\""),
    ('[[checks]]\nkind = "banned"\n', "line 2: a banned check needs `phrases` or `patterns`"),
    ('[[checks]]\nkind = "length"\nmin_words = "many"\n',
     "line 3: 'min_words' must be a whole number"),
    ('[[checks]]\nkind = "links"\nallow = ["not a domain"]\n',
     "line 3: 'not a domain' is not a domain name"),
    ('[[checks]]\nkind = "personal_data"\ntypes = ["passports"]\n',
     "line 3: unknown personal data 'passports'"),
    ('[[checks]]\nkind = "banned"\nphrases = ["x"\n', "line 3: not valid TOML"),
    ('[[checks]]\nkind = "banned"\npatterns = ["(a)\\\\1"]\n', "uses a backreference"),
    ('[[checks]]\nkind = "required"\ntitle = true\n\n[[checks]]\nkind = "required"\n'
     'closing = "contact"\n', "line 5: two checks are named 'required'"),
])
def test_a_bad_file_is_refused_with_the_line_and_why(source, problem):
    problems = refused(source)
    assert any(p.startswith(problem) or problem in p for p in problems), problems


def test_checks_written_as_toml_read_back_the_same():
    parsed = checks.parse(EXAMPLE.read_text())
    assert checks.parse(checks.to_toml(parsed)) == parsed
    odd = [Check(Kind.BANNED, Severity.WARN, 'say "it\'s"', {"phrases": ["it's \\ \"so\""]})]
    assert checks.parse(checks.to_toml(odd)) == odd


def test_every_problem_of_a_file_is_listed_at_once():
    problems = refused('[[checks]]\nkind = "nope"\n\n[[checks]]\nkind = "readability"\n'
                       'max_flesch = -4\n')
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 6"]


BANNED_TEXT = "# Launch\n\nOur Guaranteed Results speak.\n\nguaranteed-results are not a phrase."


def test_banned_phrases_match_whole_words_in_any_case_with_the_suggestion():
    found = checks.run(one(Kind.BANNED, phrases=["guaranteed results"], suggest="Give a figure."),
                       BANNED_TEXT)
    assert [(f.quote, f.suggestion, f.severity) for f in found] == [
        ("Guaranteed Results", "Give a figure.", "block")]
    f = found[0]
    assert BANNED_TEXT[f.start:f.end] == f.quote and f.prefix.endswith("Our ")
    assert checks.run(one(Kind.BANNED, phrases=["guaranteed results"], case_sensitive=True),
                      BANNED_TEXT) == []
    patterns = checks.run(one(Kind.BANNED, patterns=[r"guaranteed\W+results"]), BANNED_TEXT)
    assert [f.quote for f in patterns] == ["Guaranteed Results", "guaranteed-results"]


def test_required_title_and_closing_call_to_action():
    c = one(Kind.REQUIRED, title=True, closing="(contact|learn more)")
    found = checks.run(c, "No heading here.\n\nThe end.")
    assert [f.message.split(":")[0] for f in found] == [
        "No title", "No closing call to action in the last paragraph."]
    assert found[1].quote == "The end."
    assert checks.run(c, "# Title\n\nBody.\n\nLearn more at our site.\n") == []


def test_length_against_the_brief_with_a_tolerance_or_fixed_bounds():
    text = "# T\n\n" + "word " * 100
    assert checks.run(one(Kind.LENGTH, tolerance=0.25), text, target_words=200)[0].message == \
        "101 words: at least 150 are asked for."
    assert checks.run(one(Kind.LENGTH, tolerance=0.25), text, target_words=100) == []
    assert "at most 50" in checks.run(one(Kind.LENGTH, max_words=50), text)[0].message
    assert checks.words_of("# A [link](https://x.example/a b) - c") == 3


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
    found = checks.run(one(Kind.PERSONAL_DATA), text)
    assert [f.message.split(" must")[0] for f in found] == [what], found


@pytest.mark.parametrize("text", [
    "From 2024-2025 we grew.", "A 1,200-word piece in 3 parts.", "Card 4111 1111 1111 1112.",
    "Version 1.2.3 shipped.", "GB00 WEST 1234 5698 7654 32 is not valid.", "ISBN 978-3-16.",
])
def test_personal_data_leaves_ordinary_numbers_alone(text):
    assert checks.run(one(Kind.PERSONAL_DATA), text) == []


def test_luhn_and_iban():
    assert checks.luhn("4111111111111111") and not checks.luhn("4111111111111112")
    assert checks.iban_valid("DE89 3704 0044 0532 0130 00")
    assert not checks.iban_valid("DE00 3704 0044 0532 0130 00")


def test_readability_uses_the_score_it_is_given():
    c = one(Kind.READABILITY, Severity.WARN, min_flesch=50)
    assert checks.run(c, "Text.", readability=lambda text: 42.0)[0].message.startswith(
        "Flesch reading ease 42: at least 50")
    assert checks.run(c, "Text.", readability=lambda text: 70.0) == []
    assert checks.run(c, "Text.") == []  # no score: nothing claimed


def test_brand_terms_are_spelled_exactly():
    found = checks.run(one(Kind.BRAND_TERMS, terms=["Redline"]),
                       "RedLine and REDLINE and Redline and redlines.")
    assert [(f.quote, f.suggestion) for f in found] == [("RedLine", "Redline"),
                                                       ("REDLINE", "Redline")]


def test_links_are_well_formed_and_on_the_allow_list():
    text = ("See [our site](https://www.example.com/a), [bad](htp:/x) and "
            "https://evil.example.org/page. Also www.example.com.")
    found = checks.run(one(Kind.LINKS, Severity.WARN, allow=["example.com"]), text)
    assert [f.quote for f in found] == ["htp:/x", "https://evil.example.org/page"]
    assert "not a well-formed" in found[0].message
    assert "evil.example.org is not on this channel's list" in found[1].message
    assert [u for _, _, u in checks.links(text)] == [
        "https://www.example.com/a", "htp:/x", "https://evil.example.org/page",
        "www.example.com"]


def test_findings_are_capped_with_a_last_one_that_says_how_many_more():
    text = "spam " * 300
    found = checks.run(one(Kind.BANNED, phrases=["spam"]), text)
    assert len(found) == checks.MAX_FINDINGS
    assert found[-1].message.startswith("201 more findings")


def test_what_findings_do():
    block = checks.Finding("claims", "banned", "block", "Banned.")
    warn = checks.Finding("length", "length", "warn", "Long.")
    assert checks.auto_revision([block, warn], rounds_done=0, max_rounds=2)
    assert not checks.auto_revision([block], rounds_done=2, max_rounds=2)  # the human decides
    assert not checks.auto_revision([warn], rounds_done=0, max_rounds=2)
    assert checks.summary([block, warn, warn]) == "1 blocking, 2 warnings"
    assert "say why you approve it anyway" in checks.approve_reason_refusal(1, " ")
    assert checks.approve_reason_refusal(1, "The client insisted.") == ""
    assert checks.dismiss_refusal(block, "open", "x").startswith("A blocking finding")
    assert checks.dismiss_refusal(warn, "open", "") == "Say why you dismiss this warning."
    assert checks.dismiss_refusal(warn, "open", "Fine here.") == ""
    assert "- Banned. Suggested: x" in checks.instructions([
        checks.Finding("claims", "banned", "block", "Banned.", suggestion="x")])


def test_the_site_defaults_are_valid_checks():
    assert checks.load(c.as_dict() for c in checks.DEFAULT_CHECKS) == \
        list(checks.DEFAULT_CHECKS)


def test_the_judges_answer_becomes_findings_anchored_where_it_quotes():
    text = "# Launch\n\nOur planner is the best. It saves time.\n"
    answer = ('{"findings": [{"criterion": "No claims without a source", "quote": '
              '"Our planner is the best.", "reason": "No source."}, {"criterion": "Tone", '
              '"quote": "not in the text", "reason": "Too casual."}]}')
    first, second = checks.judge_findings(answer, text)
    assert (first.check, first.kind, first.severity, first.quote) == (
        "judge", "judge", "warn", "Our planner is the best.")
    assert text[first.start:first.end] == first.quote
    assert first.message == "No claims without a source: No source."
    assert second.quote == "" and "which is not in the text" in second.message
    blocking = checks.judge_findings('{"findings": []}', text, "block")
    assert blocking == []


@pytest.mark.parametrize("answer", [
    "not json", '{"items": []}', '{"findings": [{"criterion": "x"}]}',
    '{"findings": [{"criterion": 1, "quote": "", "reason": ""}]}', "[]",
])
def test_a_judge_answer_that_does_not_fit_the_schema_is_refused(answer):
    with pytest.raises(checks.JudgeAnswerError):
        checks.judge_findings(answer, "text")
