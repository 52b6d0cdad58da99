"""The Content-Security-Policy in real Chromium: the check of conftest.py sees an inline script,
an inline style and an inline handler on a real page of the app (so it can fail a test), the
same page without the policy runs them, and the login lockout and the admin's unlock work
with the policy on (Django admin included)."""

from __future__ import annotations

from django.contrib.auth.models import User
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

INLINE = ('<script>document.title = "inline script ran"</script>'
          '<p id="styled" style="color: rgb(255, 0, 0)">styled inline</p>'
          '<button id="handler" type="button" onclick="document.title = \'handler ran\'">'
          'inline handler</button>')


def serve_with_inline_code(page, keep_policy: bool) -> None:
    """The app's real /login/ answer, with inline script, style and handler added to its HTML;
    its Content-Security-Policy header kept or dropped."""

    def inject(route):
        response = route.fetch()
        headers = {k: v for k, v in response.headers.items()
                   if keep_policy or k.lower() != "content-security-policy"}
        assert ("content-security-policy" in {k.lower() for k in headers}) == keep_policy
        route.fulfill(response=response, headers=headers,
                      body=response.text().replace("</main>", INLINE + "</main>"))

    page.route("**/login/", inject)


def test_inline_script_style_and_handler_are_reported(new_context, csp):
    page = new_context().new_page()
    serve_with_inline_code(page, keep_policy=True)
    page.goto("/login/")
    page.locator("#handler").click()
    problems = csp.problems()

    assert page.title() == "Log in · Redline"  # the inline script and the handler were blocked
    color = page.locator("#styled").evaluate("e => getComputedStyle(e).color")
    assert color != "rgb(255, 0, 0)"  # and the style attribute
    directives = {v["directive"] for v in csp.violations}
    assert {"script-src-elem", "style-src-attr", "script-src-attr"} <= directives, problems
    assert any("inline script violates the following Content Security Policy" in m
               for m in csp.console), csp.console
    csp.clear()  # expected here: the check would fail this test otherwise


def test_without_the_policy_the_same_page_runs_its_inline_code(new_context, csp):
    page = new_context().new_page()
    serve_with_inline_code(page, keep_policy=False)
    page.goto("/login/")
    assert page.title() == "inline script ran"
    assert page.locator("#styled").evaluate("e => getComputedStyle(e).color") == "rgb(255, 0, 0)"
    page.locator("#handler").click()
    assert page.title() == "handler ran"
    assert csp.problems() == []


def test_lockout_message_and_admin_unlock_in_the_browser(new_context, open_as, author):
    page = new_context().new_page()
    page.goto("/login/")
    for _ in range(5):
        page.get_by_label("Username").fill(author.get_username())
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Too many failed sign-ins for this account from your address. "
                               "Try again in 15 minutes or ask an admin to unlock it.")
    page.get_by_label("Password").fill(PASSWORD)  # the right one: still refused
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins")

    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    admin = open_as(User.objects.get(username="root"))
    admin.goto("/admin/")
    admin.get_by_role("link", name="Access attempts").click()
    row = admin.get_by_role("row").filter(has_text=author.get_username())
    expect(row).to_contain_text("Locked Out")
    row.get_by_role("checkbox").check()
    admin.get_by_label("Action:").select_option(label="Delete selected access attempts")
    admin.get_by_role("button", name="Go").click()
    admin.get_by_role("button", name="Yes, I’m sure").click()
    expect(admin.get_by_text("Successfully deleted 1 access attempt")).to_be_visible()

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text(f"Signed in as {author.get_username()}")).to_be_visible()
