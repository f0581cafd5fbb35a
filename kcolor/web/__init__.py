"""The browser app (`kcolor web`): static files in `static/`, served by `server.py`."""
