"""rulebook.check_file (issue 23): a channel's checks as a TOML file, refused line by
line, and read back. Milliseconds: no database, no Temporal."""

from __future__ import annotations

from pathlib import Path

import pytest

from rulebook import check_file
from rulebook.check_file import ChecksError
from rulebook.checks import Check, Kind, Severity

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / \
    "checks-press-release.toml"


def refused(source: str) -> list[str]:
    with pytest.raises(ChecksError) as err:
        check_file.parse(source)
    return err.value.problems


def test_the_example_file_reads_and_round_trips():
    parsed = check_file.parse(EXAMPLE.read_text())
    assert [c.name for c in parsed] == ["claims", "stock openers", "competitors",
                                        "personal_data", "structure", "length", "readability",
                                        "brand_terms", "links"]
    assert parsed[0].severity == Severity.BLOCK and parsed[5].severity == Severity.WARN
    assert check_file.load(c.as_dict() for c in parsed) == parsed


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
    parsed = check_file.parse(EXAMPLE.read_text())
    assert check_file.parse(check_file.to_toml(parsed)) == parsed
    odd = [Check(Kind.BANNED, Severity.WARN, 'say "it\'s"', {"phrases": ["it's \\ \"so\""]})]
    assert check_file.parse(check_file.to_toml(odd)) == odd


def test_every_problem_of_a_file_is_listed_at_once():
    problems = refused('[[checks]]\nkind = "nope"\n\n[[checks]]\nkind = "readability"\n'
                       'max_flesch = -4\n')
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 6"]
