"""One real headless-browser test: Debian's chromium, driven over the DevTools protocol, runs a named
query tab of YASGUI on a real `exoowl serve` and the test reads the result table it renders."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import websocket
from test_server import start_server, stop

from exoowl.config import Settings

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--remote-debugging-port=0",
)
TAB = "mirna-targets"


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, (
        "Debian's chromium is needed for this test: `make install-test` installs it (apt-get install chromium)"
    )
    return found


def launch_chromium(profile: Path) -> tuple[subprocess.Popen, int]:
    """Chromium with an empty profile; returns the process and its DevTools port."""
    browser = subprocess.Popen(
        [chromium_path(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port_file, deadline = profile / "DevToolsActivePort", time.monotonic() + 90  # a loaded machine
    while not (port_file.exists() and port_file.read_text().strip()):
        assert browser.poll() is None and time.monotonic() < deadline, "chromium did not start"
        time.sleep(0.1)
    return browser, int(port_file.read_text().split()[0])


class DevTools:
    """A minimal DevTools protocol client on one page target; remembers the requests the page made."""

    def __init__(self, port: int) -> None:
        targets = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        page = next(t for t in targets if t["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self.next_id = 0
        self.requested: list[str] = []
        self.exceptions: list[str] = []

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                assert "error" not in message, message["error"]
                return message["result"]
            self._event(message)

    def _event(self, message: dict[str, Any]) -> None:
        if message.get("method") == "Network.requestWillBeSent":
            self.requested.append(message["params"]["request"]["url"])
        elif message.get("method") == "Runtime.exceptionThrown":
            self.exceptions.append(json.dumps(message["params"]["exceptionDetails"])[:500])

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result["result"].get("value")

    def wait_for(self, expression: str, seconds: float = 30) -> Any:
        deadline = time.monotonic() + seconds
        while not (value := self.evaluate(expression)):
            assert time.monotonic() < deadline, f"timed out waiting for {expression}; page errors: {self.exceptions}"
            time.sleep(0.2)
        return value

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def browser(tmp_path: Path):
    process, port = launch_chromium(tmp_path / "chromium-profile")
    devtools = DevTools(port)
    try:
        devtools.send("Runtime.enable")
        devtools.send("Network.enable")
        yield devtools
    finally:
        devtools.close()
        process.terminate()
        process.wait(timeout=30)


CLICK_TAB = """(() => { const tab = [...document.querySelectorAll('.tabsList .tab')]
  .find(t => t.querySelector('span') && t.querySelector('span').textContent === %s);
  if (!tab) return false; tab.querySelector('a').click(); return true; })()"""
RUN_ACTIVE = """(() => { const button = document.querySelector('.tabPanel.active .yasqe_queryButton');
  if (!button) return false; button.click(); return true; })()"""
RESULT_ROWS = """(() => { const table = document.querySelector('.tabPanel.active .yasr table.dataTable');
  if (!table) return null; const head = [...table.querySelectorAll('thead th')].map(th => th.textContent.trim());
  const rows = [...table.querySelectorAll('tbody tr')]
    .map(tr => [...tr.querySelectorAll('td')].map(td => td.textContent.trim()));
  return rows.length ? {head, rows} : null; })()"""


def expected_first_mirnas(sparql_url: str) -> set[str]:
    """The miRNA names the endpoint itself answers first for the tab's query."""
    base = sparql_url.rsplit("/sparql", 1)[0]
    text = next(q["sparql"] for q in json.loads(_named_queries_json(base)) if q["name"] == TAB)
    answer = requests.post(
        sparql_url, data={"query": text}, headers={"Accept": "application/sparql-results+json"}, timeout=60
    )
    return {b["mirna_name"]["value"] for b in answer.json()["results"]["bindings"][:10]}


def _named_queries_json(base: str) -> str:
    page = requests.get(base + "/", timeout=30).text
    start = page.index('<script type="application/json" id="named-queries">') + len(
        '<script type="application/json" id="named-queries">'
    )
    return page[start : page.index("</script>", start)]


# Collects the page's content-security-policy violations (registered before any page script runs).
CSP_WATCH = """window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"""


def test_a_named_query_tab_runs_in_chromium_and_shows_its_result_table(project: Settings, browser: DevTools) -> None:
    server, sparql_url = start_server(project, "--workers", "1")
    base = sparql_url.rsplit("/sparql", 1)[0]
    try:
        browser.send("Page.enable")
        browser.send("Page.addScriptToEvaluateOnNewDocument", source=CSP_WATCH)
        browser.send("Page.navigate", url=base + "/")
        browser.wait_for(CLICK_TAB % json.dumps(TAB))
        browser.wait_for(f"document.querySelector('.tab.active span').textContent === {json.dumps(TAB)}")
        browser.wait_for(RUN_ACTIVE)
        table = browser.wait_for(RESULT_ROWS, seconds=60)
        column = table["head"].index("mirna_name")
        shown = {row[column] for row in table["rows"]}
        assert expected_first_mirnas(sparql_url) <= shown
        assert any(name.startswith("hsa-miR-") for name in shown), shown
        outside = [url for url in browser.requested if not url.startswith((base, "data:", "blob:", "about:"))]
        assert not outside, f"the page reached outside the server: {outside}"
        assert browser.evaluate("window.__cspViolations") == [], "the content security policy blocked part of the page"
        browser.send("Page.navigate", url=base + "/network")
        browser.wait_for("document.querySelector('#network canvas') !== null")
        assert browser.evaluate("window.__cspViolations") == []
    finally:
        stop(server)
