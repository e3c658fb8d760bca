"""Turning outside data into validated records: file formats, record kinds, the ingest service."""
