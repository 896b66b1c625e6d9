"""The app's four panes, one per surface the on-call engineer works in."""

from tui.app.panes.alerts import AlertStream
from tui.app.panes.bugs import BugQueue
from tui.app.panes.labels import LabelDelay
from tui.app.panes.shadow import ShiftReplay
from tui.app.panes.slices import SliceExplorer

__all__ = ["AlertStream", "BugQueue", "LabelDelay", "ShiftReplay", "SliceExplorer"]
