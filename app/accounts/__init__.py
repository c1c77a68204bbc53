"""Accounts: the people who own endpoints, their passwords and their dashboard sessions."""
