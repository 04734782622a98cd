"""An accessibility and small-screen audit of the page a browser is showing.

It checks what a machine can check without a third-party engine: no horizontal scrolling, one
<main> and one <h1>, a label for every form control, and WCAG AA contrast of visible text against
its effective background, and headings that skip a level. Each check returns readable problems, so
a failure says what to fix.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

# Runs in the page. Returns a dict of findings; every list should be empty on a good page.
_AUDIT_JS = r"""
() => {
  // checkVisibility() also hides what a closed <details> keeps laid out but unrendered.
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    return el.checkVisibility({ visibilityProperty: true, contentVisibilityAuto: true })
      && box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0;
  };
  const describe = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += "#" + el.id;
    if (el.name) text += "[name=" + el.name + "]";
    const words = (el.innerText || el.value || "").trim().slice(0, 40);
    return words ? text + " \"" + words + "\"" : text;
  };

  const unlabelled = [];
  for (const el of document.querySelectorAll("input, textarea, select")) {
    if (["hidden", "submit", "button", "reset", "image"].includes(el.type)) continue;
    const named = (el.labels && el.labels.length > 0) || el.getAttribute("aria-label")
      || el.getAttribute("aria-labelledby");
    if (!named) unlabelled.push(describe(el));
  }

  const nameless_buttons = [];
  for (const el of document.querySelectorAll("button, a[href]")) {
    if (!visible(el)) continue;
    const name = (el.innerText || "").trim() || el.getAttribute("aria-label")
      || el.getAttribute("title") || (el.querySelector("img[alt]") || {}).alt;
    if (!name) nameless_buttons.push(describe(el));
  }

  const parse = (color) => {
    const m = color.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const parts = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return { r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1 };
  };
  const luminance = ({ r, g, b }) => {
    const lin = (c) => {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const bg = parse(getComputedStyle(node).backgroundColor);
      if (bg && bg.a > 0.5) return bg;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const low_contrast = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || !el || seen.has(el)) continue;
    seen.add(el);
    if (!visible(el)) continue;
    const style = getComputedStyle(el);
    const fg = parse(style.color);
    if (!fg) continue;
    const bg = background(el);
    const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      low_contrast.push(describe(el) + " ratio " + ratio.toFixed(2));
    }
  }

  // Headings go down one level at a time (h1 then h2, never h1 then h3); going up is fine.
  const heading_skips = [];
  let previous = 0;
  for (const el of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    const level = Number(el.tagName[1]);
    if (level > previous + 1) heading_skips.push("h" + previous + " then " + describe(el));
    previous = level;
  }

  return {
    heading_skips,
    scroll_width: document.documentElement.scrollWidth,
    inner_width: window.innerWidth,
    mains: document.querySelectorAll("main").length,
    h1s: document.querySelectorAll("h1").length,
    lang: document.documentElement.lang,
    title: document.title,
    unlabelled, nameless_buttons, low_contrast,
  };
}
"""


def audit(page: Page) -> dict[str, Any]:
    """The raw findings for the current page."""
    findings: dict[str, Any] = page.evaluate(_AUDIT_JS)
    return findings


def problems(page: Page) -> list[str]:
    """Readable accessibility / small-screen problems of the current page; empty when none."""
    found = audit(page)
    where = page.url
    result: list[str] = []
    if found["scroll_width"] > found["inner_width"]:
        result.append(
            f"{where}: scrolls sideways ({found['scroll_width']}px wide in a "
            f"{found['inner_width']}px window)"
        )
    if found["mains"] != 1:
        result.append(f"{where}: {found['mains']} <main> elements, expected exactly one")
    if found["h1s"] != 1:
        result.append(f"{where}: {found['h1s']} <h1> elements, expected exactly one")
    if not found["lang"]:
        result.append(f"{where}: <html> has no lang attribute")
    if not found["title"].strip():
        result.append(f"{where}: the page has no <title>")
    result += [f"{where}: form control without a label: {what}" for what in found["unlabelled"]]
    result += [f"{where}: link or button without a name: {w}" for w in found["nameless_buttons"]]
    result += [f"{where}: low text contrast: {what}" for what in found["low_contrast"]]
    result += [f"{where}: a heading level skipped: {what}" for what in found["heading_skips"]]
    return result
