"""The API reference at /docs: the OpenAPI document as a readable page, no remote scripts.

(FastAPI's own /docs pulls Swagger UI from a CDN, which the CSP rightly blocks.)
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from starter.api.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
async def api_docs(request: Request) -> Response:
    """The OpenAPI document as a readable page, with no remote scripts."""
    return render(request, "docs.html", {"operations": _operations(request.app.openapi())})


def _schema_fields(schema: dict[str, Any], components: dict[str, Any]) -> list[dict[str, Any]]:
    if "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if "anyOf" in schema:  # Optional bodies: take the object variant
        objects = [s for s in schema["anyOf"] if "$ref" in s or s.get("type") == "object"]
        return _schema_fields(objects[0], components) if objects else []
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "type": _type_name(prop, components),
            "required": name in required,
            "description": prop.get("description", ""),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def _type_name(schema: dict[str, Any], components: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        target = components.get(name, {})
        return _type_name(target, components) if "enum" in target else name
    if "anyOf" in schema:
        return " | ".join(_type_name(s, components) for s in schema["anyOf"])
    if "enum" in schema:
        return " | ".join(map(str, schema["enum"]))
    if schema.get("type") == "array":
        return f"list[{_type_name(schema.get('items', {}), components)}]"
    return str(schema.get("type", "any"))


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    components = spec.get("components", {}).get("schemas", {})
    operations = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": _type_name(p.get("schema", {}), components),
                            "description": p.get("description", "")
                            or p.get("schema", {}).get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": _schema_fields(body, components) if body else None,
                    "body_required": op.get("requestBody", {}).get("required", False),
                    "responses": [
                        {"code": code, "description": r.get("description", "")}
                        for code, r in sorted(op.get("responses", {}).items())
                    ],
                }
            )
    return operations
