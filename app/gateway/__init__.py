"""The data plane: `/api/v1/data/<slug>`, the JSON API each endpoint gives its owner.

models.py    endpoints, their keys, records, call logs, usage counters
fields.py    field definitions and record validation
keys.py      data keys (owner and collaboration pairs): mint, find by hash, permissions
endpoints.py endpoint services: create, find by id/slug/name, configure, deploy
records.py   record storage, cursor pages, full-text search
usage.py     daily counters, the plan's cycle counter, quota
calls.py     one data-plane call end to end, shared by the HTTP view and the api_call tools
views.py     the HTTP view
"""
