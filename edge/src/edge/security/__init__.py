"""Authentication at the edge: access-token verification, JWKS cache, rate limits."""
