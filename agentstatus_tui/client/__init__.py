"""Dashboards attached to `agentstatus serve`: `RemoteMonitor`, the engine's front-end
interface (`engine/frontend.py`) spoken over the daemon's HTTP API and event feed."""
