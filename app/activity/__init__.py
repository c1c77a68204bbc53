"""The activity trail (SPEC §10): one row per action run through the registry, on every surface.

`record` writes the rows (the runner calls it), `actions` serves `activity_search` and
`GET /api/v1/activity` and prunes rows after 90 days, `views` is the `/settings/activity` page.
"""
