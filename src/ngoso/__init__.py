"""Ngõ Số — community digital-skills outreach platform."""

__version__ = "0.1.0"
