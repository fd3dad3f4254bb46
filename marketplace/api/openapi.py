"""The OpenAPI 3.1 document of the JSON API, served at /api/v1/openapi.json."""

from __future__ import annotations

from marketplace.urls import MAX_DATABASE_ID

ERROR = {"$ref": "#/components/schemas/Error"}
# an id in a path: larger ones answer 404 (marketplace.urls.DatabaseIdConverter)
ID = {"type": "integer", "minimum": 1, "maximum": MAX_DATABASE_ID}


def _error_responses(*codes: int) -> dict:
    return {str(code): {"description": "error", "content": {"application/json": {"schema": ERROR}}}
            for code in codes}


def _param(name, schema, description, required=False, where="query"):
    return {"name": name, "in": where, "required": required, "schema": schema,
            "description": description}


def build_openapi() -> dict:
    from listings.models import ListingKind
    from marketplace.catalogue.views import MAX_AREA_M2

    PRICE = {"type": "integer", "minimum": 0, "maximum": 10**15}  # noqa: N806
    AREA = {"type": "integer", "minimum": 0, "maximum": MAX_AREA_M2}  # noqa: N806

    listing_params = [
        _param("q", {"type": "string", "maxLength": 2000},
               "Free text in Chinese or English; any text is accepted (no query syntax)."),
        _param("kind", {"type": "string", "enum": [kind.value for kind in ListingKind]},
               "Only listings of this kind. Enterprise needs (`need`) are shown to members of "
               "verified organisations and officers only (403 for others)."),
        _param("district", {"type": "string", "pattern": "^[0-9]{6}([0-9]{3})?$"},
               "A district (6 digits, includes its development zones) or zone code."),
        _param("category", {"type": "string"}, "Kind-specific category (instrument category, "
               "patent type or space type)."),
        _param("price_min", PRICE, "Lowest price in fen."),
        _param("price_max", PRICE, "Highest price in fen."),
        _param("area_min", AREA, "Smallest free area in m² (spaces)."),
        _param("area_max", AREA, "Largest free area in m² (spaces)."),
        _param("voucher", {"type": "string", "enum": ["1", "true"]},
               "Only instruments that accept innovation vouchers."),
        _param("sort", {"type": "string", "enum": ["relevance", "newest", "price"]}, "Order."),
        _param("page", {"type": "integer", "minimum": 1, "maximum": 1000}, "Page number."),
        _param("per_page", {"type": "integer", "minimum": 1, "maximum": 100}, "Page size."),
    ]
    document = {
        "openapi": "3.1.0",
        "info": {"title": "Changzhi Innovation Exchange API", "version": "1",
                 "description": "长治双创资源平台. Money is integer fen (CNY); times are UTC "
                                "ISO 8601. Errors answer {\"error\": {code, message, status}}."},
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/listings": {"get": {
                "summary": "Search published listings", "operationId": "searchListings",
                "parameters": listing_params,
                "responses": {"200": {"description": "results, facet counts and paging",
                                      "content": {"application/json": {"schema": {
                                          "$ref": "#/components/schemas/SearchResult"}}}},
                              **_error_responses(400, 403, 429)}}},
            "/api/v1/listings/{listing_id}": {"get": {
                "summary": "One published listing", "operationId": "getListing",
                "parameters": [_param("listing_id", ID, "Listing id",
                                      True, "path")],
                "responses": {"200": {"description": "the listing", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "listing": {"$ref": "#/components/schemas/Listing"}}}}}},
                              **_error_responses(404)}}},
            "/api/v1/suggest": {"get": {
                "summary": "Suggestions as you type", "operationId": "suggest",
                "parameters": [_param("q", {"type": "string", "maxLength": 40},
                                      "Prefix: Chinese, English or pinyin initials", True)],
                "responses": {"200": {"description": "suggestions", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "suggestions": {"type": "array", "items": {"type": "object", "properties": {
                            "text": {"type": "string"},
                            "type": {"type": "string", "enum": ["term", "listing"]},
                            "url": {"type": "string"}}}}}}}}}}}},
            "/api/v1/districts": {"get": {
                "summary": "Changzhi's districts, counties and development zones",
                "operationId": "listDistricts",
                "responses": {"200": {"description": "districts"}}}},
            "/api/v1/organizations/{organization_id}": {"get": {
                "summary": "Public profile of a verified organisation",
                "operationId": "getOrganization",
                "parameters": [_param("organization_id", ID,
                                      "Organisation id", True, "path")],
                "responses": {"200": {"description": "the organisation"},
                              **_error_responses(404)}}},
            "/api/v1/me": {"get": {
                "summary": "The signed-in account", "operationId": "me",
                "responses": {"200": {"description": "the account"}, **_error_responses(401)}}},
        },
        "components": {"schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message", "status"], "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"},
                    "status": {"type": "integer"}}}}},
            "Listing": {"type": "object", "required": ["id", "kind", "status"], "properties": {
                "id": {"type": "integer"},
                "kind": {"type": "string", "enum": [kind.value for kind in ListingKind]},
                "status": {"type": "string"}, "title_zh": {"type": ["string", "null"]},
                "title_en": {"type": ["string", "null"]},
                "summary_zh": {"type": ["string", "null"]},
                "summary_en": {"type": ["string", "null"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "district_code": {"type": "string"}, "district_name": {"type": "string"},
                "category": {"type": ["string", "null"]},
                "price_fen": {"type": ["integer", "null"]},
                "published_at": {"type": ["string", "null"], "format": "date-time"},
                "url": {"type": "string"}}},
            "SearchResult": {"type": "object", "required": ["results", "total", "page", "pages",
                                                            "facets"], "properties": {
                "results": {"type": "array", "items": {"$ref": "#/components/schemas/Listing"}},
                "total": {"type": "integer"}, "page": {"type": "integer"},
                "pages": {"type": "integer"}, "per_page": {"type": "integer"},
                "facets": {"type": "object", "additionalProperties": {
                    "type": "object", "additionalProperties": {"type": "integer"}}},
                "suggestion": {"type": ["string", "null"]}, "relaxed": {"type": "boolean"}}},
        }},
    }
    from marketplace.opendata.openapi import open_data_paths, open_data_schemas

    document["paths"].update(open_data_paths())  # step 7: the open-data API
    document["components"]["schemas"].update(open_data_schemas())
    return document
