"""`python -m tui`: the `oncall` command, for a process started without the console
script on its PATH (the app processes `oncall serve` starts, one per browser)."""

from tui.cli.main import run

if __name__ == "__main__":
    run()
