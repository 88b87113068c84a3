"""Use cases: one function per state change, talking to storage through ports."""
