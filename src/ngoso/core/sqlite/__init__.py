"""SQLite backend of Ngõ Số: Django's, with the write transactions of one process taken in turn."""
