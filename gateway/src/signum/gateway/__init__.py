"""Gateway: the only public entry. REST API, web UI, identity and directory."""
