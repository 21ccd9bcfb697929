"""Supervision's pure rules: the case workflow, the plain facts the checks read, the checks and their
registry. No database, no HTTP: every check is a function from facts to findings."""
