"""The partner API, version 1: read-only JSON for partner systems with an API key.

Every response echoes the caller's X-Correlation-ID; every successful read carries an ETag, and
answers 304 Not Modified to an If-None-Match that matches it. A fixed number of queries per page,
whatever the size of the register."""

import functools
import hashlib
import re

from django.conf import settings
from django.http import HttpResponseNotModified
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags, quote_etag
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from audit.services import contact_views_record

from . import register, schema  # noqa: F401 (schema: the key's security scheme, for the OpenAPI schema)
from .errors import json_error
from .models import Scope
from .serializers import (
    CoverageSerializer,
    ErrorSerializer,
    NetworkSerializer,
    OrganisationFiltersSerializer,
    OrganisationSerializer,
)

# An X-Correlation-ID is echoed when it is up to 100 letters, digits and -_.:
CORRELATION_ID = re.compile(r"[A-Za-z0-9\-_.:]{1,100}")
CORRELATION_HEADER = OpenApiParameter(
    "X-Correlation-ID",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Echoed in the response's X-Correlation-ID (up to 100 letters, digits and -_.:).",
)


def errors(*statuses: int) -> dict:
    descriptions = {
        400: "Query parameters not valid",
        401: "No API key, or one unknown, revoked or expired",
        403: "The key lacks the scope",
        404: "Not found",
        429: "Too many requests for this key (see Retry-After)",
    }
    return {status: OpenApiResponse(ErrorSerializer, description=descriptions[status]) for status in statuses}


class Cursor(CursorPagination):
    """Pages in a stable order, with links to the next and previous page (the `cursor` parameter)."""

    ordering = "ods_code"
    page_size_query_param = "page_size"

    def get_page_size(self, request):
        """API_PAGE_SIZE, or fewer when `page_size` asks (a whole number from 1 to API_PAGE_SIZE)."""
        self.max_page_size = self.page_size = settings.API_PAGE_SIZE
        asked = request.query_params.get(self.page_size_query_param)
        if asked is None:
            return self.page_size
        if not re.fullmatch(r"[0-9]{1,4}", asked) or not 1 <= int(asked) <= self.max_page_size:
            message = f"Give a whole number of rows from 1 to {self.max_page_size}."
            raise exceptions.ValidationError({self.page_size_query_param: [message]})
        return int(asked)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] |= {"minimum": 1, "maximum": settings.API_PAGE_SIZE}
            elif parameter["name"] == self.cursor_query_param:
                parameter["schema"] |= {"minLength": 1}
        return parameters


class NetworkCursor(Cursor):
    ordering = "slug"


class PartnerView(generics.GenericAPIView):
    required_scope = Scope.REGISTER
    # The query parameters the address takes; any other is refused (400), so that a misspelt
    # filter cannot pass for no filter.
    query_parameters: tuple[str, ...] = ()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        unknown = sorted(set(request.query_params) - set(self.query_parameters))
        if unknown:
            known = ", ".join(self.query_parameters) or "none"
            message = f"This address takes no such query parameter (it takes: {known})."
            raise exceptions.ValidationError({name[:100]: [message] for name in unknown[:10]})
        empty = sorted(name for name, values in request.query_params.lists() if "" in values)
        if empty:
            message = "Give this parameter a value, or leave it out."
            raise exceptions.ValidationError({name: [message] for name in empty})

    @property
    def contacts(self) -> bool:
        return self.request.auth.has_scope(Scope.CONTACTS)

    def log_contacts(self, people) -> None:
        """One insert in the contact-view log for the people whose contact details this response shows."""
        if people:
            contact_views_record(api_key=self.request.auth.prefix, people=people, path=self.request.get_full_path())

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ["X-API-Key"])
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            response.render()
            etag = quote_etag(hashlib.sha256(response.content).hexdigest()[:40])
            response["ETag"] = etag
            response["Cache-Control"] = "private, no-cache"
            if etag in parse_etags(request.headers.get("If-None-Match", "")):
                not_modified = HttpResponseNotModified()
                for header in ("ETag", "Cache-Control", "Vary"):
                    not_modified[header] = response[header]
                response = not_modified
        correlation_id = request.headers.get("X-Correlation-ID", "")
        if CORRELATION_ID.fullmatch(correlation_id):
            response["X-Correlation-ID"] = correlation_id
        return response


@extend_schema(
    summary="Organisations",
    description="The organisations of the register, by ODS code, with their named MSO and MDSO and whether each is "
    "expected, named or covered. Scope: register (contacts adds the officers' work email and telephone and the "
    "generic MSO mailbox).",
    parameters=[OrganisationFiltersSerializer, CORRELATION_HEADER],
    responses={200: OrganisationSerializer(many=True), **errors(400, 401, 403, 404, 429)},
)
class OrganisationList(PartnerView, generics.ListAPIView):
    serializer_class = OrganisationSerializer
    pagination_class = Cursor
    query_parameters = ("region", "type", "ods_code", "updated_since", "cursor", "page_size")

    def get_queryset(self):
        filters = OrganisationFiltersSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        given = filters.validated_data
        return register.organisations(
            region=given.get("region", ""),
            kind=given.get("type", ""),
            ods_codes=given.get("ods_code", ()),
            updated_since=given.get("updated_since"),
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        rows, people = register.organisation_rows(page, contacts=self.contacts)
        self.log_contacts(people)
        return self.get_paginated_response(OrganisationSerializer(rows, many=True).data)


@extend_schema(
    summary="One organisation",
    description="One organisation by its ODS code. Scope: register (contacts adds contact details).",
    parameters=[CORRELATION_HEADER],
    responses={200: OrganisationSerializer, **errors(400, 401, 403, 404, 429)},
)
class OrganisationDetail(PartnerView, generics.RetrieveAPIView):
    serializer_class = OrganisationSerializer

    def retrieve(self, request, *args, **kwargs):
        found = list(register.organisations(ods_codes=[kwargs["ods_code"].upper()]))
        if not found:
            raise exceptions.NotFound("No organisation has this ODS code.")
        rows, people = register.organisation_rows(found, contacts=self.contacts)
        self.log_contacts(people)
        return Response(OrganisationSerializer(rows[0]).data)


@extend_schema(
    summary="Networks",
    description="The national, regional, local and specialised networks, with their current chair and vice-chairs. "
    "Scope: register (contacts adds the chairs' work email and telephone).",
    parameters=[CORRELATION_HEADER],
    responses={200: NetworkSerializer(many=True), **errors(400, 401, 403, 404, 429)},
)
class NetworkList(PartnerView, generics.ListAPIView):
    serializer_class = NetworkSerializer
    pagination_class = NetworkCursor
    query_parameters = ("cursor", "page_size")

    def get_queryset(self):
        return register.networks()

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        rows, people = register.network_rows(page, contacts=self.contacts)
        self.log_contacts(people)
        return self.get_paginated_response(NetworkSerializer(rows, many=True).data)


@extend_schema(
    summary="Coverage figures",
    description="Open organisations in England by region and by type, and how many meet each coverage measure: the "
    "national coverage dashboard's figures. Scope: coverage.",
    parameters=[CORRELATION_HEADER],
    responses={200: CoverageSerializer, **errors(400, 401, 403, 429)},
)
class CoverageView(PartnerView):
    required_scope = Scope.COVERAGE
    serializer_class = CoverageSerializer

    def get(self, request, *args, **kwargs):
        return Response(CoverageSerializer(register.coverage()).data)


@functools.cache
def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def docs(request):
    """The API's documentation page, drawn from its OpenAPI schema."""
    api = _schema()
    operations = [
        {"path": path, "method": method.upper(), **operation}
        for path, methods in api["paths"].items()
        for method, operation in methods.items()
    ]
    return render(
        request,
        "api/docs.html",
        {"api": api, "operations": operations, "scopes": Scope.choices, "rate_limit": settings.API_RATE_LIMIT},
    )


def not_found(request, rest=""):
    return json_error(404, "There is nothing at this address in the API: see /api/v1/docs/.")
