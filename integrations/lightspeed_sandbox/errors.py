"""Errors in the shapes the real servers send."""

from __future__ import annotations

from http import HTTPStatus


class SandboxApiError(Exception):
    """A classic API error: `{httpCode, httpMessage, message, errorClass}`."""

    def __init__(self, status: int, message: str, error_class: str = "Exception", html: bool = False):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_class = error_class
        # Some real 400s arrive labelled text/html although the body is JSON.
        self.html = html

    def body(self) -> dict:
        return {
            "httpCode": str(self.status),
            "httpMessage": HTTPStatus(self.status).phrase,
            "message": self.message,
            "errorClass": self.error_class,
        }


class SandboxOAuthError(Exception):
    """An OAuth server error: `{error, error_description, hint, message}` (league/oauth2-server)."""

    DESCRIPTIONS = {
        "invalid_grant": (
            "The provided authorization grant (e.g., authorization code, resource owner credentials) or "
            "refresh token is invalid, expired, revoked, does not match the redirection URI used in the "
            "authorization request, or was issued to another client."
        ),
        "invalid_client": "Client authentication failed",
        "invalid_request": (
            "The request is missing a required parameter, includes an invalid parameter value, includes a "
            "parameter more than once, or is otherwise malformed."
        ),
        "invalid_scope": "The requested scope is invalid, unknown, or malformed",
        "unsupported_grant_type": "The authorization grant type is not supported by the authorization server.",
        "access_denied": "The resource owner or authorization server denied the request.",
        "too_many_requests": "Too many token refreshes for this connection; slow down.",
    }
    STATUS = {"invalid_client": 401, "access_denied": 401, "too_many_requests": 429}

    def __init__(self, error: str, hint: str = "", status: int | None = None):
        super().__init__(f"{error}: {hint}")
        self.error = error
        self.hint = hint
        self.status = status or self.STATUS.get(error, 400)

    def body(self) -> dict:
        description = self.DESCRIPTIONS.get(self.error, self.error)
        body = {"error": self.error, "error_description": description, "message": description}
        if self.hint:
            body["hint"] = self.hint
        return body


def not_found(resource: str, pk: object) -> SandboxApiError:
    return SandboxApiError(404, f"Object of type '{resource}' not found with primary ID '{pk}'.")


def bad_request(message: str, html: bool = False) -> SandboxApiError:
    return SandboxApiError(400, message, html=html)
