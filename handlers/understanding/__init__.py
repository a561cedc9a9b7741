"""Message → Query: normalising, the language, actors named, follow-ups resolved (dialogue), the specific
fact asked for (asks). Imports wording, model and index."""
