"""Tests of the API client, the chat UI (in a real browser) and their pieces."""
