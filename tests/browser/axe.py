"""axe-core in the browser suite: `assert_accessible(page, what)` runs the vendored axe-core
(tests/browser/vendor/, see its README) on the page as it is now and fails on any serious or
critical violation of WCAG 2.0 A/AA, WCAG 2.1 AA or axe's best practices.

The page's Content-Security-Policy stays on: axe is added as a script of the page's own origin
(`page.add_script_tag(url=...)` on a path the browser context answers from the vendored file,
never reaching the server), which the policy's `script-src 'self'` allows, so the CSP watch of
conftest.py still checks every page axe looks at. A page with no origin of its own (about:blank,
`page.set_content`) has no policy and gets the file inline (`add_script_tag(path=...)`).
"""

from __future__ import annotations

from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "vendor"
AXE = VENDOR / "axe.min.js"
AXE_PATH = "/__browser-tests__/axe.min.js"  # answered by the context's route, not the server
TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]
BLOCKING = ("serious", "critical")

_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                          resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 200),
                              summary: n.failureSummary}))}));
}"""


class AccessibilityError(AssertionError):
    """axe-core found serious or critical violations; `.violations` lists them."""

    def __init__(self, message: str, violations: list[dict]):
        super().__init__(message)
        self.violations = violations


def _serve_axe(route) -> None:
    route.fulfill(status=200, content_type="text/javascript; charset=utf-8",
                  body=AXE.read_bytes())


def _inject(page) -> None:
    if page.evaluate("typeof window.axe !== 'undefined'"):
        return
    if page.url.startswith(("http://", "https://")):
        context = page.context
        if not getattr(context, "_axe_routed", False):
            context.route(f"**{AXE_PATH}", _serve_axe)
            context._axe_routed = True
        page.add_script_tag(url=AXE_PATH)
    else:
        page.add_script_tag(path=str(AXE))


def violations(page, impacts=BLOCKING) -> list[dict]:
    """axe-core's violations on `page` now, those of the given impacts."""
    _inject(page)
    found = page.evaluate(_RUN, TAGS)
    return [v for v in found if v["impact"] in impacts]


def describe(found: list[dict]) -> str:
    lines = []
    for v in found:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['url']}>")
        for node in v["nodes"]:
            lines.append(f"    {node['target']}: {node['html']}")
            if node["summary"]:
                lines.extend("      " + line for line in node["summary"].splitlines())
    return "\n".join(lines)


def assert_accessible(page, what: str) -> None:
    """Fail, naming `what`, each rule, its impact and the offending nodes, if axe-core finds a
    serious or critical violation on `page` as it is now."""
    found = violations(page)
    if found:
        raise AccessibilityError(
            f"axe-core {len(found)} serious/critical violation{'s' if len(found) != 1 else ''}"
            f" on {what} ({page.url}):\n{describe(found)}", found)
