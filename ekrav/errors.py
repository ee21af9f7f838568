"""The one shape of a domain rule's refusal, shared by every room's services."""


class DomainError(Exception):
    """A rule refused the write; nothing was written. ``errors`` maps a field to its reasons
    (a form shows them at that field); ``code`` is for code and APIs."""

    def __init__(self, errors: dict[str, list[str]], code: str = "invalid"):
        self.errors = {k: [str(m) for m in v] for k, v in errors.items()}
        self.code = code
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))

    @property
    def message(self) -> str:
        """Every reason, for a page's message (a form shows them at their fields instead)."""
        return " ".join(m for ms in self.errors.values() for m in ms)
