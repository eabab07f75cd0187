"""Test helper: a real Virtuoso (Debian's virtuoso-opensource-7-bin) started in a temporary
directory on free ports, and stopped afterwards. ``make install-test`` installs the package."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from test_server import free_port

INI = """[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = {sql_port}
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
DirsAllowed = ., {dir}

[HTTPServer]
ServerPort = {http_port}
ServerRoot = {dir}
MaxClientConnections = 4
ServerThreads = 4

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 120
"""
# The anonymous SPARQL user may update (SPARQL Update at /sparql); Graph Store writes go to
# /sparql-graph-crud-auth as dba with Digest authentication.
GRANTS = "GRANT SPARQL_UPDATE TO \"SPARQL\"; DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);"


@dataclass
class Virtuoso:
    process: subprocess.Popen
    http_port: int
    directory: Path

    @property
    def location(self) -> str:
        """The exoowl store location of this server (queries, updates, Graph Store as dba)."""
        return f"sparql+http://dba:dba@127.0.0.1:{self.http_port}/sparql?gsp=/sparql-graph-crud-auth"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(30)


def installed() -> bool:
    return shutil.which("virtuoso-t") is not None and shutil.which("isql-vt") is not None


def start_virtuoso(directory: Path) -> Virtuoso:
    directory.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    (directory / "virtuoso.ini").write_text(INI.format(dir=directory, sql_port=sql_port, http_port=http_port))
    process = subprocess.Popen(
        ["virtuoso-t", "+foreground", "+configfile", str(directory / "virtuoso.ini")],
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Virtuoso(process, http_port, directory)
    deadline = time.monotonic() + 120
    while True:
        try:
            requests.get(f"http://127.0.0.1:{http_port}/sparql", params={"query": "ASK {}"}, timeout=5)
            break
        except requests.ConnectionError as error:
            if process.poll() is not None or time.monotonic() > deadline:
                log = (
                    (directory / "virtuoso.log").read_text(errors="replace")[-2000:]
                    if (directory / "virtuoso.log").exists()
                    else ""
                )
                server.stop()
                raise AssertionError(f"Virtuoso did not start: {log}") from error
            time.sleep(0.5)
    subprocess.run(
        ["isql-vt", str(sql_port), "dba", "dba", f"exec={GRANTS}"], check=True, capture_output=True, timeout=60
    )
    return server
