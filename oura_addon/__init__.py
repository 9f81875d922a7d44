"""Oura Ring add-on for Home Assistant."""

__version__ = "0.1.0"
