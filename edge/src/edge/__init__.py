"""Taquilla's edge: the only public HTTP surface. It translates REST/JSON to gRPC calls."""
