"""Numbers from run records, in any process (the reports, the orchestrator's summary, and the
worker's own accuracy score): statistics, uncertainty, the verdict, accuracy against references.
Imports no sampling library and draws nothing."""
