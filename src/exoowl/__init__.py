"""exoowl: the semantic knowledge graph of tumor-derived exosomes.

The Python API (see the README): ``exoowl.open()``, ``exoowl.build()``, ``KnowledgeGraph``.
"""
__version__ = "0.1.0"

from .api import KnowledgeGraph, build, open  # noqa: E402,A004

__all__ = ["KnowledgeGraph", "build", "open", "__version__"]
