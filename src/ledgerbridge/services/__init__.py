"""Services: orchestration over the pure core and the store. They own transaction boundaries."""
