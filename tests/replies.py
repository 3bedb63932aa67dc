"""Google's error replies as respx returns them: the envelope of Pub/Sub's and OAuth's
(``status``) and BigQuery's (``errors[].reason``, which pgb reads)."""

from __future__ import annotations

import httpx

# The canonical status of each HTTP code in BigQuery's envelope (pgb reads the reason).
_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
}


def google_error(code: int, status: str, message: str, **headers: str) -> httpx.Response:
    body = {"error": {"code": code, "message": message, "status": status}}
    return httpx.Response(code, json=body, headers=headers)


def bigquery_error(code: int, reason: str, message: str, **headers: str) -> httpx.Response:
    body = {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
            "status": _STATUS.get(code, "UNAVAILABLE"),
        }
    }
    return httpx.Response(code, json=body, headers=headers)
