"""Unit tests of the API package (no processes, no Redis)."""
