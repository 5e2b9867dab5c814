"""The shared inbox: views, filters, sorts and cursors over open and completed tasks."""
