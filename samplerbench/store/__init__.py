"""Where records live: the SQLite results store (``database``) and the JSON-lines record files
of a sweep (``records``). Used by the orchestrator and the reports, never by a worker."""
