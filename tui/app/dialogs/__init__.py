"""Modal dialogs: a text prompt, a list of choices, the bug form, the help screen."""

from tui.app.dialogs.bug_form import BugEdit, BugForm
from tui.app.dialogs.help import HelpScreen
from tui.app.dialogs.prompt import Choice, Prompt

__all__ = ["BugEdit", "BugForm", "Choice", "HelpScreen", "Prompt"]
