"""Widgets of the dashboard, grouped by the area of the screen they serve."""
