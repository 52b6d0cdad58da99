"""Insights in Chromium (issue 24): an admin opens the dashboard, sees three charts each with
the table of its numbers beside it, filters by channel, and the page passes axe-core and fits
a 390 px window; a figure's number opens the drafts behind it, which passes the same
checks."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from review.models import Channel
from tests.browser.axe import assert_accessible
from tests.browser.conftest import screenshot
from tests.test_insights import draft


def test_an_admin_reads_the_dashboard_and_filters_by_channel(open_as, author, admin_user):
    Channel.objects.create(slug="press", name="Press")
    Channel.objects.create(slug="blog", name="Blog")
    now = timezone.now() - timedelta(days=3)
    for i, channel in enumerate(["press", "press", "blog"]):
        draft(author, now + timedelta(hours=i), channel, "approved",
              [("approved", now + timedelta(hours=i + 2))], [(100, 50, "0.01", "generated")])
    page = open_as(admin_user)
    page.get_by_role("link", name="Insights").click()
    expect(page.locator("h1")).to_have_text("Insights")
    expect(page.locator("svg.chart-svg")).to_have_count(3)
    expect(page.locator("table.chart-table")).to_have_count(3)
    expect(page.get_by_role("row", name="Drafts submitted 3")).to_be_visible()
    assert_accessible(page, "the insights dashboard")
    page.get_by_label("Channel", exact=True).select_option("press")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("row", name="Drafts submitted 2")).to_be_visible()
    assert "channel=press" in page.url
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "the insights dashboard on a phone")
    screenshot(page, "insights")
    page.get_by_role("row", name="Approved 2").get_by_role("link", name="2").click()
    expect(page.locator("h1")).to_have_text("Drafts approved")
    expect(page.locator("table.drafts tbody tr")).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "the drafts behind a figure on a phone")
    page.get_by_role("link", name="Back to the figures").click()
    expect(page.locator("h1")).to_have_text("Insights")
    assert "channel=press" in page.url
