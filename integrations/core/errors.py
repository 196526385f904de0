"""Errors shared by every app."""


class RefusalError(Exception):
    """LightSync refused what a person asked for; `message` says why, in words shown as they are.

    Services raise a subclass (one per action: enqueueing a job, saving the shop mapping, an issue
    action, a settings change, …); views and admin actions show `message` and change nothing.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
