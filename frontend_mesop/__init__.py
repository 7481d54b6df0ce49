"""The Mesop chat UI and its API client (the "provider"); built in its own issue."""
