"""rowdesk's version, kept here and in pyproject.toml (a test checks they agree).

A constant, not importlib.metadata: reading the installed metadata costs ~70 ms
at every start."""

VERSION = "0.1.0"
