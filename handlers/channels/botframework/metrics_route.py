"""GET /metrics: the app's Prometheus metrics (handlers.operations.metrics), for a scraper.

The figures are counts and timings only, no message text or ids; still, expose /metrics to the monitoring
network only (the ingress or the platform's firewall), not to the public site.
"""

from __future__ import annotations

from aiohttp import web

from handlers.operations.metrics import Metrics

METRICS = web.AppKey("kompetensbot_metrics", Metrics)
PATH = "/metrics"


async def handle_metrics(request: web.Request) -> web.Response:
    body, content_type = request.app[METRICS].exposition(request.headers.get("Accept"))
    return web.Response(body=body, headers={"Content-Type": content_type, "Cache-Control": "no-store"})


def add_routes(app: web.Application, metrics: Metrics | None = None) -> Metrics:
    """Serve `metrics` (a new set if None) at GET /metrics; returns them for the app's code to count with."""
    app[METRICS] = metrics if metrics is not None else Metrics()
    app.router.add_get(PATH, handle_metrics)
    return app[METRICS]
