"""Each figure links to the drafts behind it (issue 24): every number on the Insights page
that is a link opens the list of exactly that many drafts, with the page's period and
channel; bad filters are refused with a sentence. Fixture: tests/test_insights.py's
hand-computed November."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from review import insights
from tests.test_insights import november  # noqa: F401 (the fixture)
from tests.test_web_common import client_for

NOV = {"from": "2026-11-01", "to": "2026-11-30"}
LINK = re.compile(r'<a href="(/insights/drafts/\?[^"]+)">(\d+)</a>')
TOTAL = re.compile(r"(\d+) drafts?, newest first")


def _total(client, url: str) -> int:
    page = client.get(url)
    assert page.status_code == 200, url
    return int(TOTAL.search(page.content.decode()).group(1))


def _topics(client, url: str) -> list[str]:
    body = client.get(url).content.decode()
    return re.findall(r'<td class="topic"><a href="[^"]+">([^<]+)</a>', body)


def test_every_number_that_links_opens_that_many_drafts(november, admin_user):  # noqa: F811
    client = client_for(admin_user)
    page = client.get(reverse("insights"), NOV).content.decode()
    links = [(html.unescape(url), int(n)) for url, n in LINK.findall(page)]
    # the five outcomes and submitted, 3 charts' tables, a breach and the findings
    assert len(links) >= 15
    for url, shown in links:
        assert "from=2026-11-01" in url and "to=2026-11-30" in url
        assert _total(client, url) == shown, url


def test_the_lists_hold_the_drafts_the_fixture_says(november, admin_user):  # noqa: F811
    client = client_for(admin_user)
    url = reverse("insights_drafts")

    def topics(**behind) -> list[str]:
        return _topics(client, f"{url}?from=2026-11-01&to=2026-11-30&" + "&".join(
            f"{k}={v}" for k, v in behind.items()))

    assert topics(outcome="approved") == ["Topic 10 08", "Topic 02 10"]  # newest first
    assert topics(outcome="approved", edited=1) == ["Topic 10 08"]
    assert topics(outcome="expired", step=1) == ["Topic 12 08"]
    assert topics(check="claims", severity="block") == ["Topic 02 10"]
    assert topics(bucket=0) == ["Topic 03 09"]  # first decided within the hour
    assert topics(week="2026-11-09") == ["Topic 12 08", "Topic 10 08"]
    assert topics(channel="press") == ["Topic 20 08", "Topic 03 09", "Topic 02 10"]
    page = client.get(f"{url}?from=2026-11-01&to=2026-11-30&outcome=approved&edited=1")
    assert "Drafts approved with an editor&#x27;s edits" in page.content.decode()


def test_pages_of_drafts_and_bad_filters(november, admin_user, author,  # noqa: F811
                                         monkeypatch):
    monkeypatch.setattr(insights, "PER_PAGE", 2)
    client = client_for(admin_user)
    url = f"{reverse('insights_drafts')}?from=2026-11-01&to=2026-11-30"
    assert len(_topics(client, url)) == 2 and "Page 1 of 3" in client.get(url).content.decode()
    assert _topics(client, url + "&page=3") == ["Topic 02 10"]
    past = client.get(url + "&page=9").content.decode()
    assert "There are 5 such drafts; this page is past the last one." in past
    for bad, sentence in (("outcome=bogus", "Choose an outcome among"),
                          ("bucket=9", "bucket is a whole number from 0 to 4."),
                          ("step=0", "step is a whole number from 1."),
                          ("week=soon", "is not a date"), ("page=0", "page is a whole"),
                          ("severity=loud", "severity is one of block, warn."),
                          ("edited=yes", "edited is 1 or left out.")):
        refused = client.get(f"{url}&{bad}")
        assert refused.status_code == 400 and sentence in html.unescape(
            refused.content.decode()), bad
    assert client_for(author).get(url).status_code == 403


@pytest.mark.parametrize("channel, expected", [("blog", 2), ("", 5)])
def test_the_channel_of_the_page_carries_into_its_links(november, admin_user,  # noqa: F811
                                                        channel, expected):
    client = client_for(admin_user)
    page = client.get(reverse("insights"), {**NOV, "channel": channel}).content.decode()
    submitted = next(html.unescape(u) for u, _ in LINK.findall(page) if "outcome" not in u
                     and "week" not in u and "bucket" not in u and "check" not in u
                     and (not channel or f"channel={channel}" in u))
    assert _total(client, submitted) == expected
