"""WSGI entry point for any WSGI server: `gunicorn wsgi:app`."""

from app import create_app

app = create_app()
app.extensions["minapi.mcp"].preload()  # a server imports the MCP SDK before its first MCP request
