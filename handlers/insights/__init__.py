"""What content owners learn from use: the store (SQLite or PostgreSQL), the question log, feedback, the
scrubbing of personal data, and `bot.py report`. Imports the model and index."""
