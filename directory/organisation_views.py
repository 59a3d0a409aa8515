from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.generic import ListView

from compliance import coverage
from compliance.coverage import add_coverage
from msonet import generations
from msonet.generations import CachedCountPaginator
from officers.models import named_officers
from organisations.models import Organisation

from .forms import DirectorySearchForm

# The generation (msonet.generations) of what a page of the directory shows: the organisations with
# their coverage, and their named officers (watched in apps.py).
GENERATION = "directory"
ROWS_TEMPLATE = "organisations/directory_rows.html"


class DirectoryPaginator(CachedCountPaginator):
    """The number of organisations found, a COUNT over the register, is kept until the register or
    the coverage it may be filtered by changes."""

    generation = coverage.GENERATION


class DirectoryView(LoginRequiredMixin, ListView):
    """Every organisation, searchable by name or ODS code, with its named MSO and MDSO."""

    template_name = "organisations/directory.html"
    context_object_name = "organisations"
    paginate_by = 25
    paginator_class = DirectoryPaginator
    extra_context = {"nav_section": "organisations"}

    def get_queryset(self):
        self.form = DirectorySearchForm(self.request.GET or None)
        organisations = Organisation.objects.visible_to(self.request.user).select_related("region")
        return self.form.filter(organisations).prefetch_related(named_officers())

    def paginate_queryset(self, queryset, page_size):
        """The page's organisations with their named officers and their coverage (`add_coverage`: one
        query for the page), and their rows of the table rendered, kept until what the page shows
        changes (keyed by the page's SQL and the day)."""
        paginator, page, organisations, is_paginated = super().paginate_queryset(queryset, page_size)
        day = timezone.localdate()
        key = generations.query_key(organisations, day)
        if key is None:
            page.object_list, self.rows = self.page_rows(organisations, day)
        else:
            page.object_list, self.rows = generations.cached(
                GENERATION, f"rows:{key}", lambda: self.page_rows(organisations, day), using=organisations.db
            )
        return paginator, page, page.object_list, is_paginated

    @staticmethod
    def page_rows(organisations, day):
        organisations = add_coverage(list(organisations), day)
        return organisations, render_to_string(ROWS_TEMPLATE, {"organisations": organisations})

    def get_context_data(self, **kwargs):
        context = super().get_context_data(form=self.form, **kwargs)
        context["rows"] = self.rows  # set by paginate_queryset, which the line above runs
        return context


# At most this many suggestions; fewer characters than SEARCH_MIN_LENGTH give none.
SEARCH_SUGGESTIONS = 10
SEARCH_MIN_LENGTH = 2


@require_GET
def search_json(request):
    """Type-ahead suggestions for the organisation search: up to 10 open organisations matching the
    name or ODS code, exact code first, as {"results": [{"ods_code", "name", "region"}]}. One query.
    Signed-in users only (401 otherwise, as a script cannot follow the sign-in page)."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "Sign in to search organisations."}, status=401)
    text = " ".join(request.GET.get("q", "").split())[:255]
    results = []
    if len(text) >= SEARCH_MIN_LENGTH:
        organisations = Organisation.objects.open().search(text).exact_code_first(text)
        results = [
            {"ods_code": row["ods_code"], "name": row["name"], "region": row["region__name"] or ""}
            for row in organisations.values("ods_code", "name", "region__name")[:SEARCH_SUGGESTIONS]
        ]
    return JsonResponse({"results": results})
