//! The OpenAPI description served at `/v1/openapi.json`. It is made from the code, not written
//! beside it: each handler in [`crate::http`] carries its `#[utoipa::path]` (route, parameters,
//! every answer it can give), the router registers handlers only through `utoipa_axum::routes!`
//! (so a route cannot exist undescribed), and the bodies are `mandate_domain::replication`'s own
//! types, which desktops and server share. `schemathesis` checks the server against it in the
//! test command.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Mandate agency server",
        description = "Replication of Mandate desktops' change logs. Requests and answers may be gzip-compressed \
                       (Content-Encoding: gzip); bodies are limited to 64 MB after decompression. Every error answer is \
                       JSON {code, error}. Requests with a bad token are limited per address (429 for a minute); a \
                       valid token is always served."
    ),
    modifiers(&DeviceToken),
    components(schemas(mandate_domain::replication::ApiError))
)]
pub struct Api;

/// The `device` security scheme: the bearer token a device got from `/v1/enrol`.
struct DeviceToken;

impl Modify for DeviceToken {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "device",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("Device token from /v1/enrol")).build(),
            ),
        );
    }
}

/// The whole description, as served.
pub fn document() -> serde_json::Value {
    static DOC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let (_, api) = crate::http::routes().split_for_parts();
        serde_json::to_value(api).expect("the OpenAPI description serialises")
    })
    .clone()
}
