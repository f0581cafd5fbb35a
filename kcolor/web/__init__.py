"""The browser app (`kcolor web`): static files in `static/`, served by `server.py`.

May import any stage and the shared top-level modules (today: only kcolor.shipped); only the CLI
imports it.
"""
