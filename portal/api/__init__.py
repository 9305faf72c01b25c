"""The JSON API (version 1) for scripts and other sites: events, read publicly or changed by
organizers with a bearer token; described by OpenAPI at /api/v1/openapi.json."""
