"""`manage.py channel SLUG --show | --set-checks FILE.toml` (issue 23 item 1): the example
file loads (creating the channel), --show prints it back, a bad file is refused line by line
and writes nothing."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from review.models import Channel
from rulebook import check_file, checks

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "checks-press-release.toml"


def run(*args) -> str:
    out = io.StringIO()
    call_command("channel", *args, stdout=out)
    return out.getvalue()


def test_the_example_file_creates_the_channel_and_show_prints_it_back():
    said = run("press-release", "--set-checks", str(EXAMPLE))
    assert said.startswith("Created channel press-release: 9 checks from")
    channel = Channel.objects.get(slug="press-release")
    assert channel.name == "Press release" and channel.review_checks() == \
        check_file.parse(EXAMPLE.read_text())
    shown = run("press-release", "--show")
    assert "# Checks: its own file" in shown and 'phrases = ["guaranteed results"' in shown
    assert run("press-release", "--set-checks", "-").startswith(
        "Updated channel press-release: the site's default checks")
    shown = run("press-release", "--show")
    assert "the site's defaults apply" in shown
    toml = shown.split("apply\n", 1)[1]
    assert check_file.parse(toml) == list(checks.DEFAULT_CHECKS)


def test_a_bad_file_is_refused_line_by_line_and_nothing_is_written(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[checks]]\nkind = "banned"\npatterns = ["(a+)+"]\n\n'
                   '[[checks]]\nkind = "readability"\nmin_flesch = 500\n')
    with pytest.raises(CommandError) as err:
        run("press", "--set-checks", str(bad))
    message = str(err.value)
    assert f"{bad}:line 3: the pattern '(a+)+' nests quantifiers" in message
    assert f"{bad}:line 7: 'min_flesch' is a Flesch reading ease" in message
    assert "nothing was changed" in message
    assert not Channel.objects.filter(slug="press").exists()
    with pytest.raises(CommandError, match="cannot be read"):
        run("press", "--set-checks", str(tmp_path / "missing.toml"))
    with pytest.raises(CommandError, match="There is no channel 'press'"):
        run("press", "--show")
    with pytest.raises(CommandError, match="lowercase|letters"):
        run("Not A Slug!", "--show")


def test_the_command_exits_1_with_the_problems_on_stderr(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[checks]]\nkind = "spelling"\n')
    env = {**os.environ, "DEBUG": "true"}
    done = subprocess.run([sys.executable, "manage.py", "channel", "x", "--set-checks", str(bad)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "line 2: unknown check kind 'spelling'" in done.stderr


def test_the_admin_refuses_a_bad_checks_file_with_its_lines(admin_user):
    from django.test import Client

    admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    page = client.post("/admin/review/channel/add/", {
        "slug": "press", "name": "Press", "is_active": "on",
        "checks_toml": '[[checks]]\nkind = "length"\nmin_words = 0\n'})
    assert page.status_code == 200
    assert "line 3: &#x27;min_words&#x27; must be between 1 and 100,000" in page.content.decode()
    assert not Channel.objects.exists()
    client.post("/admin/review/channel/add/", {
        "slug": "press", "name": "Press", "is_active": "on",
        "checks_toml": EXAMPLE.read_text()})
    assert len(Channel.objects.get(slug="press").review_checks()) == 9
    assert "9 of its own" in client.get("/admin/review/channel/").content.decode()
