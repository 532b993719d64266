"""The HTTP API: staff actions, case reads, the catalog, operations endpoints and the sandbox."""
