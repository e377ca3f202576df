"""Custom mapping as data: a versioned document per connection that takes canonical fields
from the raw payload, records custom dimensions, routes roles to accounts by rule and,
optionally, names the user's own accounting tables to write each entry into.

* :mod:`.document` — the vocabulary and the frozen values of a checked document;
* :mod:`.schema` — its JSON Schema, generated from that vocabulary;
* :mod:`.validate` — every problem of a document, each with its path in the document;
* :mod:`.apply` — pure application to one canonical event and the entry it posts;
* :mod:`.target` — the ``target`` section (existing accounting tables): schema, model, connecting;
* :mod:`.target_validate` — that section checked against the reflected target tables;
* :mod:`.target_columns` — what each reflected column can hold;
* :mod:`.target_context` — the expressions' context (``entry``, ``line``, ``header``).

Storage, versions and the worker's loader live in :mod:`ledgerbridge.services.mapping`.
"""
