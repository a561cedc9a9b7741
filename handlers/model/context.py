"""What a conversation keeps between turns: the context a follow-up question may refer back to.

Pure data, stored per conversation by the channel (handlers.channels.botframework.state) and filled in by the
composer; handlers.understanding.dialogue reads it to resolve "Och REKO då?".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

MAX_CHOICES = 3  # sections offered when asking back


@dataclass
class Context:
    """What the next question may refer back to. Stored per conversation (see the Bot Framework layer)."""

    question: str = ""  # the previous question, as resolved
    topic: str = ""  # what it was about, in the plan's words: an actor's name or a section heading
    actor: str = ""  # the actor's name when the previous question was about one
    # The sections the bot offered when it asked back; the next message may choose one ("2", or its name).
    choices: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> Context:
        """From stored state; state written before `choices` existed reads as having none."""
        data = data or {}
        choices = data.get("choices")
        kept = [str(c) for c in choices[:MAX_CHOICES]] if isinstance(choices, list) else []
        return cls(**{k: str(data.get(k, "")) for k in ("question", "topic", "actor")}, choices=kept)
