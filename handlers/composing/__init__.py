"""Query + Ranking → Answer: answerability, the strategies that draft an answer (extract, list, subject),
partial answers and declines, follow-up suggestions. Imports understanding, wording, model and index."""
