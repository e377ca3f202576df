"""The real-time path: ingest (verify, store raw, acknowledge) and the worker (parse, post)."""
