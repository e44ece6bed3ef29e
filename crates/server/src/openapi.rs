//! The OpenAPI description served at `/v1/openapi.json` (written by hand: the API is small, and
//! the types it names are `mandate_domain::replication`'s).

use serde_json::{json, Value};

pub fn document() -> Value {
    let error = json!({"$ref": "#/components/schemas/ApiError"});
    let errors = json!({
        "400": {"description": "Malformed request", "content": {"application/json": {"schema": error}}},
        "401": {"description": "Unknown, expired or revoked token", "content": {"application/json": {"schema": error}}},
        "403": {"description": "The batch claims another device", "content": {"application/json": {"schema": error}}},
        "413": {"description": "Too many changes or too large a body", "content": {"application/json": {"schema": error}}},
        "429": {"description": "Too many attempts from this address", "content": {"application/json": {"schema": error}}},
        "409": {"description": "server_restored: the server was restored from a backup since the epoch sent (or the pull cursor is past its counter); send and read everything again without the header", "content": {"application/json": {"schema": error}}}
    });
    let epoch = json!({"name": mandate_domain::replication::EPOCH_HEADER, "in": "header", "required": false, "schema": {"type": "string"},
        "description": "The server epoch from the last answer this desktop had; absent on a first sync"});
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Mandate agency server", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Replication of Mandate desktops' change logs. Requests and answers may be gzip-compressed."},
        "components": {
            "securitySchemes": {"device": {"type": "http", "scheme": "bearer", "description": "Device token from /v1/enrol"}},
            "schemas": {
                "ApiError": {"type": "object", "required": ["code", "error"], "properties": {"code": {"type": "string"}, "error": {"type": "string"}}},
                "Change": {"type": "object", "required": ["change_id", "entity", "entity_id", "op", "hlc"], "properties": {
                    "change_id": {"type": "string", "format": "uuid"}, "entity": {"type": "string"}, "entity_id": {"type": "string", "format": "uuid"},
                    "op": {"type": "string", "enum": ["create", "update", "delete"]}, "fields": {"type": "object"},
                    "hlc": {"type": "string", "description": "wall-counter-device; the device must be the token's"},
                    "base": {"type": "object", "additionalProperties": {"type": "string"}}}},
                "RecordState": {"type": "object", "properties": {
                    "seq": {"type": "integer"}, "entity": {"type": "string"}, "entity_id": {"type": "string"}, "action_id": {"type": "string", "nullable": true},
                    "data": {"type": "object"}, "clocks": {"type": "object"}, "deleted": {"type": "string", "nullable": true}}},
                "PushResponse": {"type": "object", "properties": {
                    "accepted": {"type": "array", "items": {"type": "string"}}, "duplicate": {"type": "array", "items": {"type": "string"}},
                    "refused": {"type": "array", "items": {"type": "object", "properties": {"change_id": {"type": "string"}, "entity": {"type": "string"}, "entity_id": {"type": "string"}, "reason": {"type": "string"}}}},
                    "restore": {"type": "array", "items": {"$ref": "#/components/schemas/RecordState"}}, "conflicts": {"type": "integer"}}}
            }
        },
        "paths": {
            "/health": {"get": {"summary": "Liveness and database reachability", "responses": {"200": {"description": "ok"}, "503": {"description": "database unreachable"}}}},
            "/metrics": {"get": {"summary": "Prometheus counters", "responses": {"200": {"description": "text/plain"}}}},
            "/v1/enrol": {"post": {"summary": "Trade a one-time enrolment code for a device token",
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["code", "device_id", "device_name"],
                    "properties": {"code": {"type": "string"}, "device_id": {"type": "string"}, "device_name": {"type": "string"}}}}}},
                "responses": {"200": {"description": "device_id, token (shown once), account"}, "401": errors["401"], "409": {"description": "device enrolled to another user"}, "429": errors["429"]}}},
            "/v1/me": {"get": {"summary": "The account and device of this token", "security": [{"device": []}], "responses": {"200": {"description": "account"}, "401": errors["401"]}}},
            "/v1/push": {"post": {"summary": "Push a batch of changes (idempotent by change_id)", "security": [{"device": []}], "parameters": [epoch.clone()],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["device_id", "changes"], "properties": {
                    "device_id": {"type": "string"}, "changes": {"type": "array", "maxItems": mandate_domain::replication::MAX_BATCH, "items": {"$ref": "#/components/schemas/Change"}}}}}}},
                "responses": {"200": {"description": "per-change outcome", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PushResponse"}}}},
                    "400": errors["400"], "401": errors["401"], "403": errors["403"], "409": errors["409"], "413": errors["413"]}}},
            "/v1/pull": {"get": {"summary": "Records changed since a cursor that this user may see", "security": [{"device": []}],
                "parameters": [{"name": "since", "in": "query", "schema": {"type": "integer"}}, {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": mandate_domain::replication::MAX_BATCH}}, epoch],
                "responses": {"200": {"description": "records, cursor, more, remaining, and the server's epoch to send back in the header"}, "401": errors["401"], "409": errors["409"]}}}
        }
    })
}
