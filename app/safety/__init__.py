"""Safe AI controls (SPEC §10): the AI write freeze, per-credential policies and quota headroom.

`controls` decides (the runner asks it before every action of an AI credential), `actions`
is the `ai` family of REST routes a person uses to set them, `headroom` is the quota figure
every MCP result carries, and `views` the forms of `/settings/ai`.
"""
