"""Helpers for data-plane tests: an owner with an endpoint, driven through the REST API."""

from __future__ import annotations

from dataclasses import dataclass

from tests.conftest import csrf_from, signup

FIELDS = [{"name": "item", "type": "string", "required": True, "searchable": True},
          {"name": "qty", "type": "number"},
          {"name": "paid", "type": "boolean"},
          {"name": "tags", "type": "array"},
          {"name": "meta", "type": "object"}]


@dataclass
class Owner:
    client: object
    csrf: str

    def api(self, method, path, **kw):
        headers = {"X-CSRFToken": self.csrf, **kw.pop("headers", {})}
        return self.client.open(path, method=method, headers=headers, **kw)

    def create_endpoint(self, name="Orders", fields=FIELDS, **extra):
        resp = self.api("POST", "/api/v1/endpoints", json={"name": name, "fields": fields, **extra})
        assert resp.status_code == 201, resp.json
        return Endpoint(self, resp.json)

    def create_key(self, endpoint, name, **rights):
        perms = {r: rights.get(r, False) for r in ("create", "read", "update", "delete")}
        resp = self.api("POST", f"/api/v1/collaborators/{endpoint.slug}/keys", json={"name": name, "permissions": perms})
        assert resp.status_code == 201, resp.json
        return resp.json


@dataclass
class Endpoint:
    owner: Owner
    info: dict

    @property
    def slug(self):
        return self.info["slug"]

    @property
    def sandbox(self):
        return self.info["owner_keys"]["sandbox"]

    @property
    def live(self):
        return self.info["owner_keys"]["production"]

    def call(self, method, suffix="", key=None, **kw):
        key = key or self.sandbox
        headers = {"Authorization": f"Bearer {key}", **kw.pop("headers", {})}
        return self.owner.client.open(f"/api/v1/data/{self.slug}{suffix}", method=method, headers=headers, **kw)

    def deploy(self):
        return self.owner.api("POST", f"/api/v1/endpoints/{self.slug}/deploy")


def make_owner(client, email="owner@example.com") -> Owner:
    signup(client, email=email)
    return Owner(client, csrf_from(client, "/"))
