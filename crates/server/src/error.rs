//! HTTP errors: every failure a handler returns becomes a JSON body
//! `{"error": {"code", "message", "parameter"?}}` with a 4xx or 5xx status,
//! is logged once, and is marked uncacheable so a CDN never keeps it as data.

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use starling_model::{ApiError, ErrorBody, QueryError};

use crate::store::SourceError;

/// A failed request, as the client will see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    status: StatusCode,
    code: &'static str,
    message: String,
    parameter: Option<String>,
}

impl Failure {
    /// 400 `invalid_parameter` naming the parameter at fault.
    pub fn invalid_parameter(parameter: &str, message: impl Into<String>) -> Failure {
        Failure {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_parameter",
            message: message.into(),
            parameter: Some(parameter.to_owned()),
        }
    }

    /// 404 `shop_not_found`.
    pub fn shop_not_found(shop: &str) -> Failure {
        Failure {
            status: StatusCode::NOT_FOUND,
            code: "shop_not_found",
            message: format!(
                "shop {:?} is not known to this server; check the shop domain \
                 (such as example.myshopify.com) or import its reviews first",
                shorten(shop)
            ),
            parameter: None,
        }
    }

    /// 404 `not_found` for a path that names nothing.
    pub fn not_found(path: &str) -> Failure {
        Failure {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: format!(
                "nothing is served at {:?}; see the v1 API for the paths that exist",
                shorten(path)
            ),
            parameter: None,
        }
    }

    /// 405 `method_not_allowed`.
    pub fn method_not_allowed() -> Failure {
        Failure {
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "method_not_allowed",
            message: "this path does not accept that method".to_owned(),
            parameter: None,
        }
    }

    /// 503 `bundles_unavailable`: `dist/` has not been built.
    pub fn bundles_unavailable(reason: &str) -> Failure {
        Failure {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "bundles_unavailable",
            message: reason.to_owned(),
            parameter: None,
        }
    }

    /// 503 `source_unavailable`: the store or upstream failed.
    pub fn source_unavailable(message: impl Into<String>) -> Failure {
        Failure {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "source_unavailable",
            message: message.into(),
            parameter: None,
        }
    }

    /// 504 `upstream_timeout`.
    pub fn upstream_timeout(message: impl Into<String>) -> Failure {
        Failure {
            status: StatusCode::GATEWAY_TIMEOUT,
            code: "upstream_timeout",
            message: message.into(),
            parameter: None,
        }
    }

    /// 502 `upstream_failed`.
    pub fn upstream_failed(message: impl Into<String>) -> Failure {
        Failure {
            status: StatusCode::BAD_GATEWAY,
            code: "upstream_failed",
            message: message.into(),
            parameter: None,
        }
    }

    /// 401 `unauthorized`: a missing or wrong bearer token.
    pub fn unauthorized() -> Failure {
        Failure {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            message: "a valid `Authorization: Bearer TOKEN` header is required; the token is \
                      the server's --purge-token"
                .to_owned(),
            parameter: None,
        }
    }

    /// 400 `invalid_body` for a request body that cannot be used.
    pub fn invalid_body(message: impl Into<String>) -> Failure {
        Failure {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_body",
            message: message.into(),
            parameter: None,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl From<QueryError> for Failure {
    fn from(error: QueryError) -> Self {
        Failure::invalid_parameter(error.parameter, error.message)
    }
}

impl From<SourceError> for Failure {
    fn from(error: SourceError) -> Self {
        match error {
            SourceError::ShopNotFound(shop) => Failure::shop_not_found(&shop),
            SourceError::Unavailable(message) => Failure::source_unavailable(format!(
                "the review store could not answer: {message}; try again shortly"
            )),
            SourceError::Timeout(message) => Failure::upstream_timeout(format!(
                "{message}; no cached copy is available, try again shortly"
            )),
            SourceError::BadGateway(message) => Failure::upstream_failed(format!(
                "{message}; no cached copy is available, try again shortly"
            )),
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let logged = LoggedFailure {
            code: self.code,
            message: self.message.clone(),
        };
        let body = ErrorBody {
            error: ApiError {
                code: self.code.to_owned(),
                message: self.message,
                parameter: self.parameter,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response.extensions_mut().insert(logged);
        response
    }
}

/// What a failed response carries for [`log_failures`], which logs it with
/// the request's method and path.
#[derive(Debug, Clone)]
pub struct LoggedFailure {
    code: &'static str,
    message: String,
}

/// Middleware that logs each failed request once, with its method, path,
/// status, code and message: server errors at error level, rejected
/// requests at info level. Successful requests cost no logging work.
pub async fn log_failures(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let uri = request.uri().clone();
    let response = next.run(request).await;
    if let Some(failure) = response.extensions().get::<LoggedFailure>() {
        let status = response.status().as_u16();
        let path = uri.path();
        if response.status().is_server_error() {
            tracing::error!(%method, path, status, code = failure.code, detail = %failure.message, "request failed");
        } else {
            tracing::info!(%method, path, status, code = failure.code, detail = %failure.message, "request rejected");
        }
    }
    response
}

fn shorten(value: &str) -> String {
    value.chars().take(80).collect()
}
