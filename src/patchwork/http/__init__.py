"""What the HTTP surfaces (``api``, ``web``, ``ops``) share, so they never import each other.

JSON errors and their one handler, token auth, request parsing, HTTP ranges, the original's
JSON shapes and the cached answers both the API and the pages show. Decisions: 0108 (hostile
input), 0110 (rate limits), 0701 (pages share the cache).
"""
