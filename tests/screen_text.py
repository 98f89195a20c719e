"""What the dashboard shows, as plain text, and waiting until it shows something."""

from __future__ import annotations

import asyncio
import html
import re
from typing import Any

from agentstatus_tui.ui.app import AgentStatusApp


def screen_text(app: AgentStatusApp) -> str:
    """The screen as plain text (the SVG export without its markup and entities)."""
    return html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot())).replace("\xa0", " ")


async def shown(pilot: Any, app: AgentStatusApp, needle: str, limit: float = 15.0) -> str:
    """The screen once it shows `needle` (the limit only stops a broken test hanging)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while needle not in (text := screen_text(app)):
        if loop.time() > end:
            raise AssertionError(f"{needle!r} never shown:\n{text}")
        await pilot.pause(0.05)
    return text
