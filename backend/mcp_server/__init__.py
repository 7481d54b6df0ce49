"""MCP, spoken by agentjobs: assistants (Claude Desktop, IDEs, agent frameworks) call workflows.

``/mcp`` serves the Model Context Protocol over streamable HTTP with the official ``mcp`` SDK:
one tool per workflow of the live catalog, each call an ordinary agentjobs job; job
transcripts as resources. Stateless, so any API process answers any request.
"""

from backend.mcp_server.app import MCP_PATH, mcp_router

__all__ = ["MCP_PATH", "mcp_router"]
