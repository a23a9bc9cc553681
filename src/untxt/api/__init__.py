"""The HTTP API: routers, schemas, problem+json errors, dependencies."""
