"""Identity: local accounts, sessions, OpenID Connect, API keys, and the caller of each request."""
