"""Values shared by every stage and channel: Answer, Source, the outcome and reaction names, Context. Pure
data; imports nothing else of handlers/."""
