"""A fix for msrest's most expensive line, which botbuilder runs for every reply it sends.

botbuilder builds a new ConnectorClient for each turn, and each builds msrest's ClientRetryPolicy, whose
constructor tests 999 status codes for membership in a 502-item *list*: about 5 ms of CPU on the event loop,
twice per turn, so more than half of what a turn costs the server (measured with cProfile under load). The
same codes in a frozenset give the same retry policy in microseconds. msrest is no longer developed, so
this will not be fixed upstream.
"""

from __future__ import annotations


def apply() -> None:
    """Make ClientRetryPolicy's `safe_codes` a frozenset (it is only ever used with `in`)."""
    from msrest.universal_http.requests import ClientRetryPolicy

    ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)
