"""``python -m exoowl.selfcheck``: that the installed environment can run exoowl.

Imports every module of ``exoowl`` and ``exoowl_server`` (so a runtime import that is not a
declared dependency fails here, at install time, not in front of the first user) and checks that
Java, which HermiT needs, is on the PATH. ``make install`` runs it before it records the install
as done, so a failed or interrupted install is retried by the next ``make``."""

from __future__ import annotations

import importlib
import pkgutil
import shutil
import sys

PACKAGES = ("exoowl", "exoowl_server")


def module_names() -> list[str]:
    """Every module of the installed packages, the packages themselves included."""
    names = []
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        names.append(package_name)
        names += [
            info.name
            for info in pkgutil.walk_packages(package.__path__, prefix=package_name + ".")
            if not info.name.endswith(".__main__")
        ]
    return names


def problems() -> list[str]:
    found = []
    for name in module_names():
        try:
            importlib.import_module(name)
        except ImportError as exc:
            found.append(f"cannot import {name}: {exc}")
    if shutil.which("java") is None:
        found.append("Java is not on the PATH: HermiT needs Java 17+ (apt-get install openjdk-17-jre-headless)")
    return found


def main() -> int:
    found = problems()
    for line in found:
        print(f"exoowl: selfcheck: {line}", file=sys.stderr)
    if not found:
        print(f"exoowl: selfcheck: {len(module_names())} modules import; Java found")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
