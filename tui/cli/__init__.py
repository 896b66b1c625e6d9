"""The command line: thin Typer commands over :mod:`tui.core`."""
