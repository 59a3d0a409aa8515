"""Every error of the API as JSON: {"code": ..., "message": ...} (and, for bad query parameters,
"errors": {parameter: [messages]}), never a page or a traceback."""

import logging

from django.http import JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

CODES = {
    400: "invalid_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    429: "too_many_requests",
    500: "server_error",
}
logger = logging.getLogger(__name__)


def _messages(detail) -> list[str]:
    if isinstance(detail, list):
        return [message for item in detail for message in _messages(item)]
    if isinstance(detail, dict):
        return [message for item in detail.values() for message in _messages(item)]
    return [str(detail)]


def _message(detail) -> str:
    """Every message in `detail`, each once."""
    return " ".join(dict.fromkeys(_messages(detail)))


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Partner API error", exc_info=exc)
        return Response(
            {"code": CODES[500], "message": "Something went wrong on our side. Nothing was changed; try again later."},
            status=500,
        )
    status = response.status_code
    body = {"code": CODES.get(status, "error"), "message": _message(getattr(exc, "detail", response.data))}
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        body["message"] = "Some query parameters are not valid: " + body["message"]
        body["errors"] = {key: [str(item) for item in value] for key, value in exc.detail.items()}
    if isinstance(exc, exceptions.Throttled):
        body["message"] = f"Too many requests for this API key: try again in {max(exc.wait or 1, 1):.0f} seconds."
    headers = {name: response[name] for name in ("WWW-Authenticate", "Retry-After", "Allow") if name in response}
    return Response(body, status=status, headers=headers)


def json_error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"code": CODES.get(status, "error"), "message": message}, status=status)
