"""Identity use cases: one async function per use case."""
