"""Adapters: databases, linkage, crypto, transports. They implement the services' ports."""
