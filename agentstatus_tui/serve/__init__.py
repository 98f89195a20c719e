"""`agentstatus serve`: the team's always-on monitor. The Monitor runs headless; an HTTP
API (JSON under /api/v1, Server-Sent Events, Prometheus /metrics) serves it on a unix
socket or TCP. Built on aiohttp.web; the engine never imports this package."""
