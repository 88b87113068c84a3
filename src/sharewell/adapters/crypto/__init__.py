"""Cryptography: password hashing and signing keys."""
