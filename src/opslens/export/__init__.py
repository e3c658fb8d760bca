"""Renderers of table-like results for download."""
