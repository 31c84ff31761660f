"""The OpenAPI document cannot drift from the code: routes, methods and query parameters are
read from the app and its handlers' source and compared with /api/openapi.json."""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

DOCUMENTED_PREFIXES = ("/api/", "/media/")
OPS_PATHS = {"/healthz", "/readyz", "/metrics"}
IGNORED_METHODS = {"OPTIONS", "HEAD"}
# A query parameter read by name: request.args.get("x"), text_arg("x", …), int_arg("x", …)…
READ_PARAM = re.compile(r"""(?:args\.get|_arg)\(\s*["'](\w+)["']""")
CALL = re.compile(r"\b([A-Za-z_]\w*)\(")


def openapi_path(rule: str) -> str:
    """``/api/x/<int:job_id>/<any(a, b):image>`` → ``/api/x/{job_id}/{image}``."""
    return re.sub(r"<(?:[^<>]*:)?(\w+)>", r"{\1}", rule)


def documented_routes(app: Flask) -> list[tuple[str, set[str], str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        if rule.rule.startswith(DOCUMENTED_PREFIXES) or rule.rule in OPS_PATHS:
            methods = set(rule.methods or ()) - IGNORED_METHODS
            routes.append((openapi_path(rule.rule), methods, rule.endpoint))
    return routes


def test_every_route_and_method_is_in_the_document(app: Flask, client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    missing = [
        f"{method} {path}"
        for path, methods, _ in documented_routes(app)
        for method in methods
        if method.lower() not in paths.get(path, {})
    ]
    assert not missing, f"routes missing from the OpenAPI document: {missing}"


def test_every_documented_operation_exists(app: Flask, client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").get_json()
    served: dict[str, set[str]] = {}
    for path, methods, _ in documented_routes(app):
        served.setdefault(path, set()).update(methods)
    extra = [
        f"{method} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method.upper() not in served.get(path, set()) | {"HEAD"} or path not in served
    ]
    assert not extra, f"documented but not served: {extra}"


def test_path_parameters_match_the_rules(app: Flask, client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").get_json()
    for path, _, _ in documented_routes(app):
        expected = set(re.findall(r"{(\w+)}", path))
        for operation in document["paths"][path].values():
            named = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert named == expected, f"{path}: path parameters {named} != {expected}"


def _query_names(view: Callable[..., Any], seen: set[str] | None = None) -> set[str]:
    """Query parameters a view reads, following calls to functions of Patchwork's modules."""
    seen = seen if seen is not None else set()
    view = inspect.unwrap(view)
    key = f"{view.__module__}.{view.__qualname__}"
    if key in seen:
        return set()
    seen.add(key)
    source = inspect.getsource(view)
    names = set(READ_PARAM.findall(source))
    module = sys.modules[view.__module__]
    for called in CALL.findall(source):
        target = getattr(module, called, None)
        if inspect.isfunction(target) and target.__module__.startswith("patchwork."):
            names |= _query_names(target, seen)
    return names


def test_every_query_parameter_a_handler_reads_is_documented(
    app: Flask, client: FlaskClient
) -> None:
    document = client.get("/api/openapi.json").get_json()
    undocumented = []
    for path, methods, endpoint in documented_routes(app):
        read = _query_names(app.view_functions[endpoint])
        for method in methods:
            operation = document["paths"][path][method.lower()]
            names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            undocumented += [f"{method} {path} ?{name}" for name in sorted(read - names)]
    assert not undocumented, f"query parameters missing from the document: {undocumented}"


def test_search_filters_are_documented(client: FlaskClient) -> None:
    operation = client.get("/api/openapi.json").get_json()["paths"]["/api/search/results"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"q", "page", "channel_id", "from", "to", "sort"} <= names
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert page.endswith("/VideoSearchPage")


def test_errors_and_security_schemes_are_described(client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").get_json()
    assert document["components"]["schemas"]["Error"]["required"] == ["error"]
    schemes = document["components"]["securitySchemes"]
    assert schemes["token"] == {**schemes["token"], "in": "header", "name": "X-AUTHENTICATION"}
    assert schemes["bearer"]["scheme"] == "bearer"
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, answer in operation["responses"].items():
                if status.startswith(("4", "5")) and "content" in answer and path != "/readyz":
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path)
    next_job = document["paths"]["/api/worker/next"]["get"]
    assert next_job["security"] == [{"token": []}, {"bearer": []}]
    assert "X-Patchwork-Worker" in {p["name"] for p in next_job["parameters"]}
    assert "X-Patchwork-Worker" in next_job["responses"]["403"]["description"]


def test_the_reference_page_is_self_contained(client: FlaskClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "/api/openapi.json" in page
    # Nothing from another origin: no CDN scripts or styles.
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", page)
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_query_parameter_reader_finds_helpers() -> None:
    # The drift test's own reader must see parameters read through helpers.
    from patchwork.api import catalog

    assert {"q", "page", "channel_id", "from", "to", "sort"} <= _query_names(catalog.search_results)
    assert _query_names(catalog.discover_videos) == {"count"}
