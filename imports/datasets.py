"""The datasets the lead imports and exports, each with its columns and its export; each import is
its app's own (imports.services dispatches to it): the ODS import is organisations', the people and
appointments import officers', the network memberships import networks'."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from msonet.columns import Column
from networks import imports as memberships
from officers import imports as people

from . import organisations


@dataclass(frozen=True)
class DatasetSpec:
    key: str
    label: str
    description: str
    columns: tuple[Column, ...]
    export_headers: Callable[[], list[str]]
    export_rows: Callable[[], Iterable[list]]
    export_count: Callable[[], int]
    file_stem: str


DATASETS = {
    spec.key: spec
    for spec in (
        DatasetSpec(
            key="organisations",
            label="Organisations",
            description=(
                "Organisation Data Service (ODS) files: the standard extracts (etr, eccg, edispensary, epharmacyhq, "
                "epraccur) or the ICB names file, as CSV or as an Excel workbook with the same columns."
            ),
            columns=(),
            export_headers=organisations.export_headers,
            export_rows=organisations.export_rows,
            export_count=organisations.export_count,
            file_stem="organisations",
        ),
        DatasetSpec(
            key="people",
            label="People and appointments",
            description=(
                "One row per appointment: the person (by work email) and their role at an organisation "
                "(by ODS code). A person without an appointment has one row with the appointment columns empty."
            ),
            columns=people.COLUMNS,
            export_headers=lambda: list(people.EXPORT_HEADERS),
            export_rows=people.export_rows,
            export_count=people.export_count,
            file_stem="people-and-appointments",
        ),
        DatasetSpec(
            key="memberships",
            label="Network memberships",
            description=(
                "One row per membership: the person (by work email), the network (by its slug), role and dates."
            ),
            columns=memberships.COLUMNS,
            export_headers=lambda: list(memberships.EXPORT_HEADERS),
            export_rows=memberships.export_rows,
            export_count=memberships.export_count,
            file_stem="network-memberships",
        ),
    )
}
