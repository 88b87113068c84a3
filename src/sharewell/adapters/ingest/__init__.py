"""Readers for agencies' files (CSV, JSON, JSON Lines) and their YAML column mappings."""
