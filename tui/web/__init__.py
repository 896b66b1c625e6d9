"""The console in a browser: one app process per browser tab, behind a token.

A face beside the app: it starts the same app (the `oncall` command) once per
websocket and carries keys and screens between it and the page. Only `oncall serve`
imports this package (aiohttp and textual-serve take a while to load).
"""
