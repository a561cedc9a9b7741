"""Declined questions grouped by meaning: average-linkage agglomerative clustering on cosine similarity.

Average linkage (the mean similarity between two groups' members) rather than single linkage, because e5's
cosines are high for any two short Swedish questions: one close pair must not chain two topics together.
Plain numpy: scipy is not a dependency. Identical texts are merged first, so a long log costs what its
distinct questions cost; at most MAX_DISTINCT of them (the most asked) are clustered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# Measured with multilingual-e5-small on paraphrased Swedish questions: the same need averages ~0.87,
# different needs ~0.80. At 0.85 the recurring topics of the generated log stay apart (tests/test_report.py).
THRESHOLD = 0.85
MAX_DISTINCT = 1500  # O(n²) memory, O(n³) worst-case time: a bound for a report run by hand
EXAMPLES = 3


@dataclass(frozen=True)
class Group:
    """Declined questions that ask for the same thing: how many, and the most typical wordings first."""

    size: int  # questions, repeats included
    examples: tuple[str, ...]  # up to EXAMPLES distinct wordings, the most central first
    wordings: tuple[str, ...]  # every distinct wording in the group


def group_questions(
    questions: Sequence[str], embed: Callable[[list[str]], np.ndarray], threshold: float = THRESHOLD
) -> list[Group]:
    """The questions grouped by meaning, largest group first (ties: alphabetically by first example)."""
    counts = Counter(q.strip() for q in questions if q.strip())
    texts = [text for text, _ in counts.most_common(MAX_DISTINCT)]
    if not texts:
        return []
    vectors = np.asarray(embed(texts), dtype=np.float64)
    similarity = vectors @ vectors.T
    groups = [_group(members, texts, counts, similarity) for members in _agglomerate(similarity, threshold)]
    return sorted(groups, key=lambda g: (-g.size, g.examples[0]))


def _agglomerate(similarity: np.ndarray, threshold: float) -> list[list[int]]:
    """Merge the two groups with the highest average similarity until none is above `threshold`."""
    n = len(similarity)
    linkage = similarity.copy()  # average similarity between groups, kept up to date (Lance–Williams)
    np.fill_diagonal(linkage, -np.inf)
    sizes = np.ones(n)
    members: list[list[int]] = [[i] for i in range(n)]
    while n > 1:
        i, j = np.unravel_index(np.argmax(linkage), linkage.shape)
        if linkage[i, j] < threshold:
            break
        merged = (sizes[i] * linkage[i] + sizes[j] * linkage[j]) / (sizes[i] + sizes[j])
        linkage[i], linkage[:, i] = merged, merged
        linkage[i, i] = -np.inf
        linkage[j], linkage[:, j] = -np.inf, -np.inf
        sizes[i] += sizes[j]
        members[i] += members[j]
        members[j] = []
        n -= 1
    return [group for group in members if group]


def _group(members: list[int], texts: list[str], counts: Counter[str], similarity: np.ndarray) -> Group:
    """Examples: the wordings closest on average to the rest of the group, then the most asked."""
    centrality = similarity[np.ix_(members, members)].mean(axis=1)
    order = sorted(range(len(members)), key=lambda k: (-centrality[k], -counts[texts[members[k]]]))
    wordings = tuple(texts[members[k]] for k in order)
    return Group(sum(counts[w] for w in wordings), wordings[:EXAMPLES], wordings)
