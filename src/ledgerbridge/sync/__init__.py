"""Backfill and catch-up: platform history pulled through the APIs into the inbox.

:mod:`.base` is the port (``Puller``, ``Stream``, ``Page``, ``Pulled``), :mod:`.http` the client
every puller uses, one module per platform implements the port, and
:mod:`ledgerbridge.services.sync` runs them with resumable cursors.
"""
