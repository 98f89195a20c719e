"""Full screens pushed over the dashboard: history, alert log, help, incident."""
