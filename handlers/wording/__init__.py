"""What the bot says that the plan does not (texts: one Texts per language and `pick`, the one language
choice) and every rendering of an Answer (render: Markdown, labels, the JSON contract). Imports only the
model."""
