"""HTTP/JSON API under /api."""
