"""Who is calling: the Actor type and the credentials that produce one (sessions, MCP keys, OAuth)."""
