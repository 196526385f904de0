"""One error class per way a Lightspeed call can fail.

`LightspeedTransientError` (rate limited, server error, timeout, connection) is worth retrying
later; everything else is not. A failure is always raised, never turned into an empty result.
"""

from __future__ import annotations


class LightspeedError(Exception):
    def __init__(self, message: str, *, status: int | None = None, url: str = "", body: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.url = url
        self.body = body[:2000]


class LightspeedTransientError(LightspeedError):
    """Worth retrying later: Lightspeed was busy or unreachable."""


class LightspeedUnavailableError(LightspeedTransientError):
    """Server error, timeout or connection failure."""


class LightspeedServerError(LightspeedUnavailableError):
    pass


class LightspeedTimeoutError(LightspeedUnavailableError):
    pass


class LightspeedConnectionError(LightspeedUnavailableError):
    pass


class LightspeedRateLimitedError(LightspeedTransientError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class LightspeedUnauthorizedError(LightspeedError):
    pass


class LightspeedForbiddenError(LightspeedError):
    """The token lacks a scope (or the authorizing employee lacks the right)."""


class LightspeedNotFoundError(LightspeedError):
    pass


class LightspeedBadRequestError(LightspeedError):
    """400/405/409/422: Lightspeed refused the request; `message` is its explanation."""


class LightspeedMalformedResponseError(LightspeedError):
    """The answer was not what the API promises (truncated JSON, wrong shape, foreign `next`)."""


class LightspeedNotConnectedError(LightspeedError):
    """No token pair is stored for the company: Fetch Token has not run yet."""


class LightspeedReauthorizationRequiredError(LightspeedError):
    """Lightspeed refused the refresh token (or the client): a person must Fetch Token again."""


class LightspeedOAuthError(LightspeedError):
    """The token endpoint refused a request; `error` is the OAuth error code."""

    def __init__(self, message: str, *, error: str = "", **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.error = error
