"""The JSON API under /api/v1/ (Django REST framework + drf-spectacular) and per-user API
tokens (docs/api.md). Views are thin: a serializer, one service or selector call, a response;
every rule is the rulebook's (rulebook/) or a service's."""
