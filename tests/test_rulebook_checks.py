"""rulebook.checks (issue 23): what findings do to a draft, and the site's defaults.
Milliseconds."""

from __future__ import annotations

from rulebook import check_file, checks


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
    assert check_file.load(c.as_dict() for c in checks.DEFAULT_CHECKS) == \
        list(checks.DEFAULT_CHECKS)
