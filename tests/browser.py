"""A real headless browser for the preview tests: Debian's chromium through its chromedriver (selenium).

`browser()` is None when chromium, chromedriver or selenium is absent (a user's machine); CI installs them."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


def available() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM or not DRIVER:
        return "Debian's chromium and chromium-driver are not installed (.ci/run installs them)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


@contextmanager
def chromium(width: int = 1400, height: int = 1000):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", "--hide-scrollbars", "--no-first-run"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(driver, path: Path) -> None:
    driver.get(path.resolve().as_uri())


def javascript_errors(driver) -> list[str]:
    """Console errors and uncaught exceptions since the last call (SEVERE entries of the browser log)."""
    return [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def screenshot(driver, dest: Path, full_page: bool = True) -> Path:
    """A PNG of the page; full_page resizes the window to the document's height first."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if full_page:
        height = driver.execute_script("return Math.min(document.documentElement.scrollHeight, 6000)")
        width = driver.execute_script("return window.innerWidth")
        driver.set_window_size(width, height + 100)
    driver.save_screenshot(str(dest))
    return dest


# Every panel box's grid position read back from where the browser drew it.
MEASURE = r"""
const CELL = 38, COLS = 24, MARGIN = 8;
const out = [];
for (const grid of document.querySelectorAll('.grid')) {
  const g = grid.getBoundingClientRect();
  const col = g.width / COLS, top = Number(grid.dataset.top);
  for (const box of grid.children) {
    const r = box.getBoundingClientRect();
    out.push({path: box.dataset.path,
              x: Math.round((r.left - g.left) / col), w: Math.round((r.width + MARGIN) / col),
              y: top + Math.round((r.top - g.top) / CELL), h: Math.round((r.height + MARGIN) / CELL),
              visible: r.width > 0 && r.height > 0});
  }
}
return out;
"""
