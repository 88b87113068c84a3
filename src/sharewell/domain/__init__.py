"""The rules of sharing: standard library only, no frameworks."""
