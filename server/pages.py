"""The web interface: YASGUI at ``/``, entity pages for our IRIs, ``/ontology``, ``/network`` and the
release download. SPARQL lives in ``server/queries/*.rq``; the front-end packages come from npm
(``make install`` copies them to ``server/static/vendor/``)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, jsonify, render_template, request, send_file

from exoowl.query import named_queries

from .state import settings, store_handle
from .web_entity import entity_response
from .web_network import facets, network
from .web_ontology import class_tree, count_inferred, pylode_html, with_intro

STATIC = Path(__file__).resolve().parent / "static"
VENDOR_FILES = ("yasgui.min.js", "yasgui.min.css", "cytoscape.min.js")

pages_blueprint = Blueprint(
    "pages", __name__, template_folder="templates", static_folder="static", static_url_path="/assets"
)


def missing_vendor_files() -> list[str]:
    """Front-end files that ``make install`` has not copied from node_modules yet."""
    return [name for name in VENDOR_FILES if not (STATIC / "vendor" / name).exists()]


@pages_blueprint.route("/")
def index() -> str:
    queries = [
        {"name": q.name, "question": q.question, "sparql": q.sparql}
        for q in named_queries(settings().queries_dir).values()
    ]
    graphs = [(s.graph, s.triples) for s in store_handle().statistics()]  # cached per build
    return render_template("index.html", queries=queries, graphs=graphs, missing=missing_vendor_files())


@pages_blueprint.route("/ontology/exoowl.owl")
def release() -> Response:
    return send_file(settings().release_file, mimetype="application/rdf+xml", as_attachment=False)


@pages_blueprint.route("/ontology")
def ontology() -> str:
    configured = settings()
    tree = class_tree()
    intro = render_template("ontology_intro.html", tree=tree, inferred=count_inferred(tree))
    return with_intro(pylode_html(configured.release_file, configured.var_dir / "cache" / "ontology-doc"), intro)


@pages_blueprint.route("/ontology/<path:term>")
def ontology_term(term: str) -> Response:
    return entity_response(f"ontology/{term}")


@pages_blueprint.route("/id/<path:rest>")
def individual(rest: str) -> Response:
    return entity_response(f"id/{rest}")


@pages_blueprint.route("/network")
def network_page() -> str:
    return render_template("network.html", facets=facets(), missing=missing_vendor_files())


@pages_blueprint.route("/network.json")
def network_json() -> Response:
    return jsonify({**network(request.args.get("cancer"), request.args.get("process")), "facets": facets()})
