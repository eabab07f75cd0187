"""The exoowl web server (Flask app factory). It calls the core and holds no RDF logic."""

from .app import create_app

__all__ = ["create_app"]
