"""The chat page's building blocks, one module per part of the page."""
