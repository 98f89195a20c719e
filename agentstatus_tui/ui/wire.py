"""What goes over the wire: partial screen updates cropped to what changed.

Textual 8.2.8 writes a partial update from the left edge of each widget's slice of a line
up to the end of the change, so a one-cell change at the right of a wide table (the LAST
age ticking every 10 s) rewrites nearly the whole row: ~110 bytes a row instead of ~35.
Over SSH that is most of what an idle dashboard sends. This crops each slice on the left
too. Textual is pinned (pyproject), and the patch applies only to the class it was written
against; anything else keeps Textual's own behaviour.
"""

from __future__ import annotations

from importlib.metadata import version

from rich.console import Console
from rich.control import Control
from textual._compositor import ChopsUpdate

_PATCHED = "_agentstatus_cropped"
WRITTEN_FOR = "8.2.8"


def _render_segments(self: ChopsUpdate, console: Console) -> str:
    sequences: list[str] = []
    append = sequences.append
    chops = self.chops
    chop_ends = self.chop_ends
    last_y = self.spans[-1][0]
    for y, x1, x2 in self.spans:
        line = chops[y]
        ends = chop_ends[y]
        for end, (x, strip) in zip(ends, line.items(), strict=False):
            if strip is None or x > x2 or end <= x1:
                continue
            start, stop = max(x, x1), min(end, x2)
            piece = strip if (start, stop) == (x, end) else strip.crop(start - x, stop - x)
            append(Control.move_to(start, y).segment.text)
            append(piece.render(console))
        if y != last_y:
            append("\n")
    return "".join(sequences)


def crop_partial_updates() -> bool:
    """Install the cropping once; False when this Textual does not look like the one it
    was written for (then nothing changes)."""
    if getattr(ChopsUpdate, _PATCHED, False):
        return True
    if version("textual") != WRITTEN_FOR:
        return False
    ChopsUpdate.render_segments = _render_segments  # type: ignore[method-assign]
    setattr(ChopsUpdate, _PATCHED, True)
    return True
