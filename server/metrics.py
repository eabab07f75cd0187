"""``/metrics``: Prometheus text exposition of requests, latencies, query timeouts and store size.

Under ``exoowl serve`` every gunicorn worker writes its samples to the directory named by
``PROMETHEUS_MULTIPROC_DIR`` and a scrape of any worker adds them all up; in a single process
(the Flask test client) the default registry is used."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from .state import StoreHandle

REQUESTS = Counter("exoowl_http_requests_total", "HTTP requests answered", ["method", "endpoint", "status"])
LATENCY = Histogram(
    "exoowl_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
TIMEOUTS = Counter("exoowl_query_timeouts_total", "Requests stopped because they ran past the query timeout")


class StoreSizeCollector:
    """Triples per named graph of the build being served, read when scraped."""

    def __init__(self, handle: StoreHandle) -> None:
        self.handle = handle

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "exoowl_store_triples", "Triples in each named graph of the served build", labels=["graph"]
        )
        for stats in self.handle.statistics():
            gauge.add_metric([stats.graph], stats.triples)
        yield gauge


def _registry(handle: StoreHandle) -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        for collector in (REQUESTS, LATENCY, TIMEOUTS):
            registry.register(collector)
    registry.register(StoreSizeCollector(handle))
    return registry


def _endpoint() -> str:
    """The route's pattern, so that the label set stays bounded whatever paths are asked for."""
    return request.url_rule.rule if request.url_rule else "unmatched"


def register_metrics(app: Flask, handle: StoreHandle) -> None:
    @app.before_request
    def start_timer() -> None:
        g.exoowl_started = time.perf_counter()

    @app.after_request
    def count(response: Response) -> Response:
        endpoint = _endpoint()
        REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        LATENCY.labels(endpoint).observe(time.perf_counter() - g.get("exoowl_started", time.perf_counter()))
        return response

    @app.route("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(_registry(handle)), mimetype=CONTENT_TYPE_LATEST)
