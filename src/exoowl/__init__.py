"""exoowl: the semantic knowledge graph of tumor-derived exosomes.

The Python API (see the README): ``exoowl.open()``, ``exoowl.build()``, ``KnowledgeGraph``.
"""

__version__ = "0.1.0"

from .api import KnowledgeGraph, build, open

__all__ = ["KnowledgeGraph", "__version__", "build", "open"]
