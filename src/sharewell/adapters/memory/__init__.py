"""In-memory fakes of the ports, for fast tests."""
