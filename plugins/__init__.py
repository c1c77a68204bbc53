"""Built-in tool families, one package each; each package's `__init__` holds only hookimpls."""
