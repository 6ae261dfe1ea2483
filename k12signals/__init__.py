"""k12-signals: find competency-based education signals on US school district web sites."""

__version__ = "0.1.0"
