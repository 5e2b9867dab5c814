"""Runtime decisions over a compiled spec: routing, joins, guards, the audit chain.

Pure: it is handed the facts and the time, and returns what should change.
"""
