"""Helpers shared by the test suites: local HTTP servers with recorded response shapes, the
regtest lifecycle/Babylon environments, chart helpers, the CLI runners and test keys.

Imported as ``support.<module>`` (pytest puts ``tests/`` on the path: ``pythonpath`` in
pyproject.toml)."""
