"""The definition language: YAML with line marks -> validated -> compiled, immutable spec.

Pure: no database, no clock, no I/O beyond the text it is handed.
"""
