"""Accessibility checks for the browser tests.

`check_page(page, "lead-03-flags")` runs axe-core (installed by npm into node_modules, never fetched
at run time) on the page against WCAG 2.2 AA, saves a screenshot of it, and checks that it reflows
at 320 CSS pixels wide with no horizontal scrolling (running axe again at that width). A serious or
critical violation fails the test with the rule, its help text and the elements it found. Every
page checked, and every violation found, is counted in the figures printed at the end of the run.

Keyboard helpers: `tab_to` moves focus with the Tab key alone, and `assert_focus_visible` checks
that the focused element shows a focus indicator.
"""

import contextlib
import functools
import os
import re
from pathlib import Path

from django.conf import settings
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.figures import figures

AXE_SCRIPT = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING_IMPACTS = {"serious", "critical"}
NARROW = {"width": 320, "height": 640}


def screenshot_dir() -> Path:
    """The folder screenshots are written to: SCREENSHOT_DIR, or screenshots/ in the project."""
    folder = Path(os.environ.get("SCREENSHOT_DIR") or settings.BASE_DIR / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@functools.cache
def _axe_source() -> str:
    if not AXE_SCRIPT.exists():
        raise AssertionError(f"{AXE_SCRIPT} is missing: run `npm ci` to install axe-core")
    return AXE_SCRIPT.read_text(encoding="utf-8")


def axe_violations(page) -> list[dict]:
    """The page's serious and critical WCAG 2.2 AA violations, as axe-core reports them.

    axe is evaluated through the browser's debugging protocol rather than as a <script> element,
    so a Content-Security-Policy that forbids inline script does not stop it."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    results = page.evaluate(
        """(tags) => axe.run(document, {
            runOnly: {type: 'tag', values: tags},
            resultTypes: ['violations'],
        })""",
        WCAG_TAGS,
    )
    return [violation for violation in results["violations"] if violation["impact"] in FAILING_IMPACTS]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} [{violation['helpUrl']}]")
        for node in violation["nodes"][:5]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node.get('failureSummary', '').strip()}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    … and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than its viewport (0 when it does not scroll sideways),
    once it has settled: the header moves the menu items that do not fit under "More" only after
    the window has been resized."""
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(f"() => ({OVERFLOW})() <= 1", timeout=3_000)
    return page.evaluate(OVERFLOW)


# The header lays its menu out again in the animation frame after a resize event, and its resize
# observer sends one more resize event in that frame: three frames on, the menu is settled.
SETTLED = """() => new Promise(done => requestAnimationFrame(
    () => requestAnimationFrame(() => requestAnimationFrame(done))))"""


def header_settled(page) -> None:
    """Waits until the header has folded or unfolded its menu for the viewport's width."""
    page.evaluate(SETTLED)


def check_page(page, name: str, *, narrow: bool = True) -> None:
    """Checks the page as it stands with axe, saves `<name>.png`, and then, 320 px wide, checks that
    nothing scrolls sideways, runs axe again (the header folds its menu at that width) and saves
    `<name>-320.png`. Fails the test on a serious or critical violation at either width."""
    assert re.fullmatch(r"[a-z0-9-]+", name), name
    folder = screenshot_dir()
    violations = axe_violations(page)
    page.screenshot(path=folder / f"{name}.png", full_page=True)
    overflow = 0
    if narrow:
        viewport = page.viewport_size
        page.set_viewport_size(NARROW)
        try:
            overflow = horizontal_overflow(page)
            found = {violation["id"] for violation in violations}
            violations += [
                {**violation, "help": f"{violation['help']} (320 px wide)"}
                for violation in axe_violations(page)
                if violation["id"] not in found
            ]
            page.screenshot(path=folder / f"{name}-320.png", full_page=True)
        finally:
            page.set_viewport_size(viewport)
            header_settled(page)
    figures.add("axe_pages", 1)
    figures.add("axe_violations", len(violations))
    assert not violations, f"{name} ({page.url}) has accessibility violations:\n{describe(violations)}"
    assert overflow <= 1, f"{name} ({page.url}) scrolls sideways at 320 px wide: {overflow} px too wide"


FOCUS_STYLE = r"""() => {
    const element = document.activeElement;
    if (!element || element === document.body) return null;
    const style = getComputedStyle(element);
    const words = (text) => (text || '').replace(/\s+/g, ' ').trim();
    return {
        tag: element.tagName.toLowerCase(),
        text: words(element.getAttribute('aria-label') || element.innerText || element.value),
        label: element.labels && element.labels.length ? words(element.labels[0].innerText) : '',
        id: element.id,
        outlineStyle: style.outlineStyle,
        outlineWidth: parseFloat(style.outlineWidth) || 0,
        outlineColor: style.outlineColor,
        boxShadow: style.boxShadow,
    };
}"""


def focused(page) -> dict | None:
    """What has the keyboard focus: its tag, text, label, id and focus styles (None: the body)."""
    return page.evaluate(FOCUS_STYLE)


def _transparent(colour: str) -> bool:
    return colour == "transparent" or bool(re.fullmatch(r"rgba\(.*,\s*0\)", colour))


def assert_focus_visible(page) -> dict:
    """The focused element shows a focus indicator: a visible outline or a box shadow."""
    element = focused(page)
    assert element is not None, "Nothing has the keyboard focus"
    outline = element["outlineStyle"] != "none" and element["outlineWidth"] > 0
    outline = outline and not _transparent(element["outlineColor"])
    shadow = element["boxShadow"] not in ("", "none")
    assert outline or shadow, f"The focused {element['tag']} {element['text']!r} has no visible focus indicator"
    return element


def tab_to(page, name: str, *, backwards: bool = False, limit: int = 40) -> dict:
    """Presses Tab (or Shift+Tab) until the focused element's text or label is `name`, checking
    that each element focused on the way shows where the focus is. Returns what has the focus."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if focused(page) is None:  # past the end of the page, to the browser's own controls
            continue
        element = assert_focus_visible(page)
        if name in (element["text"], element["label"]):
            return element
    raise AssertionError(f"{name!r} was not reached with {limit} presses of {key}")
