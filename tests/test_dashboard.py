"""Other library versions in the same store (`--python`), and the HTML dashboard over it, opened
in a real headless Chromium. Real backends, tiny settings.

The second environment is made here as a user would make one with a single library changed: a
virtual environment that sees this one's packages, with an older NumPyro installed over them
(from PyPI or pip's cache). A whole second environment would cost minutes of downloads per run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
from importlib import metadata
from pathlib import Path

import pytest

from tests.conftest import OLD_NUMPYRO, make_old_numpyro_python

REPO = Path(__file__).resolve().parent.parent
COMPARE = [sys.executable, str(REPO / "scripts" / "compare.py")]
REPORT = [sys.executable, str(REPO / "scripts" / "report.py")]
NEW_NUMPYRO = metadata.version("numpyro")
SWEEP = ["--models", "linear_regression", "--n", "100", "--chains", "2", "--tune", "150", "--draws", "150",
         "--runs", "2", "--samplers", "numpyro", "nutpie", "--cache", "cold", "--no-gradient-floor"]
# Screenshots of each page type, kept for a person to look at (CI keeps the folder as an artefact).
ARTIFACTS = Path(os.environ.get("SAMPLERBENCH_ARTIFACTS", REPO / "reports" / "test-artifacts"))

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dashboard")]


def run(cmd, expect=0):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=REPO)
    assert proc.returncode == expect, proc.stdout + proc.stderr
    return proc


@pytest.fixture(scope="module")
def old_numpyro_python(tmp_path_factory) -> str:
    return make_old_numpyro_python(tmp_path_factory.mktemp("numpyro-021"))


@pytest.fixture(scope="module")
def two_environments(tmp_path_factory, old_numpyro_python):
    """A store with one sweep run in the older environment, then one in this one."""
    root = tmp_path_factory.mktemp("two-envs")
    db = root / "store.sqlite"
    run([*COMPARE, *SWEEP, "--db", str(db), "--out", str(root), "--name", "old-numpyro", "--python", old_numpyro_python])
    run([*COMPARE, *SWEEP, "--db", str(db), "--out", str(root), "--name", "today"])
    return root, db, old_numpyro_python


@pytest.fixture(scope="module")
def site(two_environments):
    root, db, _ = two_environments
    out = root / "site"
    proc = run([*REPORT, "--db", str(db), "--html", str(out)])
    assert "dashboard:" in proc.stdout
    return out


def test_python_flag_runs_the_workers_in_that_environment(two_environments):
    from samplerbench.store.database import ResultStore

    _, db, old_python = two_environments
    with ResultStore(db, create=False) as store:
        old, today = store.sweeps()
        old_records, today_records = store.records(old.sweep_id), store.records(today.sweep_id)
    # The workers' own account of what they imported, and where they ran.
    numpyro_old = [r for r in old_records if r["sampler"] == "numpyro"]
    assert numpyro_old and all(r["status"] == "ok" for r in numpyro_old), numpyro_old
    assert {r["versions"]["numpyro"] for r in numpyro_old} == {OLD_NUMPYRO}
    assert {r["worker_python"] for r in old_records} == {old_python}
    assert {r["versions"]["numpyro"] for r in today_records if r["sampler"] == "numpyro"} == {NEW_NUMPYRO}
    assert {r["worker_python"] for r in today_records} == {sys.executable}
    # The sweep's environment is the workers', not the orchestrator's.
    assert old.environment["libraries"]["numpyro"] == OLD_NUMPYRO
    assert old.environment["python_executable"] == old_python
    assert old.config["python"] == old_python and today.config["python"] is None


def test_python_flag_refuses_an_interpreter_that_cannot_run_workers(tmp_path):
    bare = tmp_path / "bare"
    venv.EnvBuilder(with_pip=False).create(bare)  # Python 3.12, but no numpy or ArviZ
    proc = run([*COMPARE, "--python", str(bare / "bin" / "python"), "--db", str(tmp_path / "s.sqlite")], expect=2)
    assert "lacks numpy, arviz-base, arviz-stats" in proc.stderr and "-m pip install" in proc.stderr
    proc = run([*COMPARE, "--python", str(tmp_path / "nowhere" / "python")], expect=2)
    assert "no such interpreter" in proc.stderr
    store = tmp_path / "s.sqlite"
    assert not store.exists() or store.stat().st_size == 0  # refused before anything went into the store


def test_compare_names_the_library_version_that_differs_per_backend(two_environments):
    root, db, _ = two_environments
    proc = run([*REPORT, "--db", str(db), "--out", str(root), "--compare", "old-numpyro", "today"])
    rows = {line.split("|")[2].strip(): line for line in proc.stdout.splitlines() if line.startswith("|") and "ok /" in line}
    assert f"numpyro {OLD_NUMPYRO} → {NEW_NUMPYRO}" in rows["numpyro"]
    assert "| same " in rows["nutpie"]  # nutpie ran the same libraries in both environments


# -- the dashboard in a real browser -------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    executable = os.environ.get("SAMPLERBENCH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    missing = []
    if sync_playwright is None:
        missing.append("the playwright package (pip install -e '.[test]')")
    if executable is None:
        missing.append("Chromium (as root: apt-get install chromium; or set SAMPLERBENCH_CHROMIUM to its path)")
    if missing:
        message = "browser tests need " + " and ".join(missing) + "; `make test` installs both"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must run these, not skip them
        pytest.skip(message)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    """A page that records console errors, uncaught exceptions and any request off the disk."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda err: page.problems.append(f"page error: {err}"))
    page.on("request", lambda r: page.problems.append(f"network request: {r.url}") if not r.url.startswith("file://") else None)
    yield page
    context.close()


def open_page(page, path: Path):
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    page.wait_for_function("() => [...document.querySelectorAll('.plotly-graph-div')].every(g => g._fullLayout)")
    assert page.problems == []


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


def plots(page) -> list[dict]:
    """Every plot on the page: its id, traces in the figure data, trace groups drawn in its SVG."""
    return page.evaluate("""() => [...document.querySelectorAll('.plotly-graph-div')].map(g => ({
        id: g.id, data: g.data.length, names: g.data.map(t => t.name),
        svg: g.querySelectorAll('.main-svg').length,
        drawn: g.querySelectorAll('g.scatterlayer g.trace, g.barlayer g.trace').length}))""")


def test_index_lists_both_sweeps_and_its_links_work(site, page):
    open_page(page, site / "index.html")
    text = page.inner_text("table.sweeps")
    assert "old-numpyro" in text and "today" in text
    assert f"numpyro {OLD_NUMPYRO}" in text and f"numpyro {NEW_NUMPYRO}" in text
    screenshot(page, "index")
    page.click("text=linear_regression")
    page.wait_for_load_state("load")
    assert page.url.endswith("model-linear_regression.html") and page.inner_text("h1") == "linear_regression"
    page.go_back()
    page.click("table.sweeps >> text=old-numpyro")
    page.wait_for_load_state("load")
    assert "sweep-" in page.url and "old-numpyro" in page.inner_text("h1")
    assert page.problems == []


def test_model_page_plots_render_one_trace_per_backend_and_respond(site, page):
    open_page(page, site / "model-linear_regression.html")
    found = {p["id"]: p for p in plots(page)}
    assert {"history-0", "latest-times-n100-cold", "latest-break-even-n100"} <= set(found), found
    for plot in found.values():
        # Each plot rendered every trace of its figure, and each backend has its traces (both
        # sweeps ran numpyro and nutpie, cold). A break-even line beyond the largest ESS its runs
        # reached is dotted (a second trace); runs that all stayed below 100 ESS (the axis start;
        # seen on CI) have the dotted one only.
        extrapolated = [name for name in plot["names"] if name.endswith("extrapolated)")]
        assert plot["svg"] >= 1 and plot["data"] == plot["drawn"], plot
        assert {name.split(" ")[0] for name in plot["names"]} == {"numpyro", "nutpie"}, plot
        if plot["id"].startswith("latest-break-even"):  # runs of 100 draws: ESS far below 100 000
            assert {name.split(" ")[0] for name in extrapolated} == {"numpyro", "nutpie"}, plot
            assert 2 + len(extrapolated) >= plot["data"] >= len(extrapolated) == 2, plot
        else:
            assert plot["data"] == 2, plot
    screenshot(page, "model")

    # Hover on the first bar (numpyro's end-to-end ... group: import first) shows its value.
    bar = page.locator("#latest-times-n100-cold g.barlayer g.trace").first.locator("path").first
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    hover = page.locator("#latest-times-n100-cold .hoverlayer .hovertext").first
    hover.wait_for(state="attached")
    text = hover.text_content()  # SVG text: no innerText
    assert re.search(r"import: \d+\.\d\d s \(median of 2 runs\)", text), text

    # A click on a backend's legend entry hides its trace.
    page.locator("#latest-times-n100-cold .legend .traces").first.click()
    page.wait_for_function("() => document.getElementById('latest-times-n100-cold').data[0].visible === 'legendonly'")
    assert page.locator("#latest-times-n100-cold g.barlayer g.trace").count() == 1

    # The history, by library version: both of numpyro's versions on the axis.
    page.locator("#history-0 .updatemenu-button", has_text="by library version").click()
    page.wait_for_function("() => document.getElementById('history-0').layout.xaxis.type === 'category'")
    ticks = page.locator("#history-0 .xtick text").all_text_contents()
    assert f"numpyro {OLD_NUMPYRO}" in ticks and f"numpyro {NEW_NUMPYRO}" in ticks, ticks
    assert page.problems == []


def _cell(text: str):
    try:
        return float(text)
    except ValueError:
        return text


def _markdown_table(text: str, first_header: str) -> list[list[str]]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header}"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return [rows[0]] + rows[2:]  # without the |:---| line


def test_sweep_page_tables_are_the_markdown_reports_numbers(site, two_environments, page):
    root, db, _ = two_environments
    markdown = (root / "today.md").read_text()  # written by compare.py at the end of the sweep
    pages = sorted(site.glob("sweep-*.html"))
    open_page(page, pages[-1])  # the newest sweep, 'today'
    assert "today" in page.inner_text("h1")
    screenshot(page, "sweep")
    for css, first in (("headline", "backend"), ("time-to-ess", "backend"), ("quality", "backend")):
        shown = page.evaluate(f"""() => [...document.querySelector('table.{css}').rows].map(
            r => [...r.cells].map(c => c.innerText.trim()))""")
        expected = _markdown_table(markdown.split("Headline:" if css == "headline" else
                                                  "Time to a target ESS: seconds" if css == "time-to-ess" else
                                                  "Sampling quality", 1)[1], first)
        # tabulate prints a numeric-looking cell as a number (1.30 as 1.3): compare those as numbers.
        assert [[_cell(c) for c in row] for row in shown] == [[_cell(c) for c in row] for row in expected], (
            css, shown, expected)
    assert page.problems == []

