"""Report process: the markdown report, tables, PNG and plotly plots, the static dashboard and
the comparison of two sweeps, all views of one ``analysis.statistics.Summary``."""
