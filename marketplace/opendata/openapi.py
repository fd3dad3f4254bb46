"""The open-data part of the OpenAPI document: paths and schemas built from the dataset
definitions themselves, so the document cannot drift from what the API publishes."""

from __future__ import annotations

from marketplace.opendata.datasets import DATASETS, FIRST_YEAR, LAST_YEAR, MIN_PARTIES

ERROR = {"$ref": "#/components/schemas/Error"}
CACHE = {"Cache-Control": {"description": "public, max-age=300 (private when the request "
                                          "carries cookies)", "schema": {"type": "string"}}}


def _filter_params() -> list[dict]:
    day = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
    bounds = f" between {FIRST_YEAR}-01-01 and {LAST_YEAR}-12-31"
    return [
        {"name": "start", "in": "query", "required": False, "schema": day,
         "description": "First Beijing calendar day of the period (inclusive), YYYY-MM-DD"
                        + bounds + "."},
        {"name": "end", "in": "query", "required": False, "schema": day,
         "description": "Last Beijing calendar day (inclusive); not before start."},
        {"name": "district", "in": "query", "required": False,
         "schema": {"type": "string", "pattern": "^[0-9]{6}([0-9]{3})?$"},
         "description": "A district or county code from /api/v1/districts; a development "
                        "zone's code selects its district."},
    ]


def _row_schema(dataset) -> dict:
    properties = {}
    for column in dataset.columns:
        kind = [column.type, "null"] if column.nullable else column.type
        properties[column.name] = {"type": kind, "description": column.description}
    return {"type": "object", "required": dataset.column_names, "properties": properties,
            "additionalProperties": False}


def _schema_name(name: str) -> str:
    return "OpenData" + name.capitalize() + "Row"


def _bad_filter() -> dict:
    return {"description": "a bad filter value (message says which and why)",
            "content": {"application/json": {"schema": ERROR}}}


def open_data_paths() -> dict:
    paths = {"/api/v1/open": {"get": {
        "summary": "Open data: the datasets, their columns and addresses",
        "operationId": "listOpenDatasets", "tags": ["open data"],
        "responses": {"200": {"description": "the dataset catalogue", "headers": CACHE,
                              "content": {"application/json": {"schema": {
                                  "$ref": "#/components/schemas/OpenDataCatalogue"}}}}}}}}
    for name, dataset in DATASETS.items():
        row = {"$ref": f"#/components/schemas/{_schema_name(name)}"}
        envelope = {"allOf": [{"$ref": "#/components/schemas/OpenDataEnvelope"},
                              {"type": "object", "properties": {
                                  "rows": {"type": "array", "items": row}}}]}
        csv = {"text/csv": {"schema": {"type": "string"},
                            "example": ",".join(dataset.column_names) + "\n"}}
        common = {"tags": ["open data"]}
        paths[f"/api/v1/open/{name}"] = {"get": {
            **common, "summary": f"Open data: {dataset.description}",
            "operationId": f"getOpenData{name.capitalize()}",
            "parameters": [*_filter_params(), {
                "name": "format", "in": "query", "required": False,
                "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"},
                "description": "csv answers the same rows as the .csv address."}],
            "responses": {"200": {"description": "the rows (JSON, or CSV with format=csv)",
                                  "headers": CACHE,
                                  "content": {"application/json": {"schema": envelope}, **csv}},
                          "400": _bad_filter(),
                          "429": {"description": "too many requests",
                                  "content": {"application/json": {"schema": ERROR}}}}}}
        paths[f"/api/v1/open/{name}.csv"] = {"get": {
            **common, "summary": f"Open data as CSV (UTF-8 with BOM): {name}",
            "parameters": _filter_params(),
            "operationId": f"getOpenData{name.capitalize()}Csv",
            "description": "Columns as in the JSON rows; null is an empty cell, booleans are "
                           "true/false, and text starting with = + - @ gets a leading "
                           "apostrophe (spreadsheet formula protection).",
            "responses": {"200": {"description": "CSV", "headers": CACHE, "content": csv},
                          "400": _bad_filter()}}}
    return paths


def open_data_schemas() -> dict:
    period = {"type": "object", "required": ["start", "end", "district"], "properties": {
        "start": {"type": ["string", "null"], "format": "date"},
        "end": {"type": ["string", "null"], "format": "date"},
        "district": {"type": ["string", "null"]}}}
    schemas = {
        "OpenDataPeriod": period,
        "OpenDataEnvelope": {
            "type": "object", "required": ["dataset", "filters", "generated_at", "columns",
                                           "count", "rows"],
            "description": "Every figure is aggregated; no personal data. Voucher cells paid "
                           f"by fewer than {MIN_PARTIES} enterprises are suppressed; voucher "
                           "months are whole, ended months (see `months`).",
            "properties": {
                "dataset": {"type": "string", "enum": list(DATASETS)},
                "filters": {"$ref": "#/components/schemas/OpenDataPeriod"},
                "months": {"description": "vouchers only: the whole months covered, or null",
                           "oneOf": [{"$ref": "#/components/schemas/OpenDataPeriod"},
                                     {"type": "null"}]},
                "generated_at": {"type": "string", "format": "date-time"},
                "columns": {"type": "array", "items": {"type": "string"}},
                "count": {"type": "integer"},
                "rows": {"type": "array", "items": {"type": "object"}}}},
        "OpenDataCatalogue": {"type": "object", "required": ["datasets"], "properties": {
            "datasets": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "title_zh": {"type": "string"},
                "title_en": {"type": "string"}, "description": {"type": "string"},
                "json": {"type": "string"}, "csv": {"type": "string"},
                "columns": {"type": "array", "items": {"type": "object"}}}}},
            "filters": {"type": "object"}, "min_parties": {"type": "integer"}}},
    }
    for name, dataset in DATASETS.items():
        schemas[_schema_name(name)] = _row_schema(dataset)
    return schemas
