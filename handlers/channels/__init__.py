"""The channels: the Bot Framework layer (botframework/: app, auth, Teams, Direct Line, web chat, state),
the only code that imports botbuilder. Uses the engine's public names (handlers.engine), insights, operations,
wording and the model."""
