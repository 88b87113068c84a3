"""Sharewell: safe, lawful, early information sharing between public services."""

__version__ = "0.1.0"
