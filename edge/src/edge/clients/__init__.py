"""Typed wrappers over the services' gRPC stubs, with deadlines. Routes never touch raw stubs."""
