"""Incidents: the store of incidents and their timelines, the tracker that opens them, the
root-cause table, the checklist's actions and the Markdown incident document."""

from .store import STEPS, Incident, IncidentStore

__all__ = ["STEPS", "Incident", "IncidentStore"]
