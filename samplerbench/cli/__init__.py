"""The command lines of ``scripts/compare.py`` (``compare``) and ``scripts/report.py``
(``report``): parsing and dispatch, in the user's process."""
