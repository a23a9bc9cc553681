"""The heap a long-lived process built at start-up, kept out of the collector's sight."""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect once, then freeze what is left: the modules, engines and tables a server or
    worker loaded at start-up stay for its life, and a full collection that walks them
    again and again is a pause of tens of milliseconds in some request or batch."""
    gc.collect()
    gc.freeze()
