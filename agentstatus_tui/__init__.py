"""agentstatus-tui: a terminal dashboard for AI agents that speak the OpenAI chat protocol."""

__version__ = "0.1.0"
