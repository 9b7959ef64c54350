"""The one exception type of corpus_search: its message is written for the user."""


class CorpusSearchError(Exception):
    """A failure the user can act on; the message says what went wrong and what to do."""
