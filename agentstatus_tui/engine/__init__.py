"""The engine: config, checks, verdicts, storage, alerts, incidents, the Monitor. No UI."""
