"""Modal dialogs: a text prompt, a yes/no question, a list of choices, the bug form,
the silence form, the help screen."""

from tui.app.dialogs.bug_form import BugEdit, BugForm
from tui.app.dialogs.help import HelpScreen
from tui.app.dialogs.prompt import Choice, Confirm, Prompt, field
from tui.app.dialogs.silence import SilenceAsked, SilenceForm

__all__ = [
    "BugEdit",
    "BugForm",
    "Choice",
    "Confirm",
    "HelpScreen",
    "Prompt",
    "SilenceAsked",
    "SilenceForm",
    "field",
]
