"""The Textual application: screens, widgets and styles over tui.core."""
