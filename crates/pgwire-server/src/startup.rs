//! The startup phase: SSL/GSS refusal, protocol version negotiation, trust
//! authentication, session creation and the ParameterStatus burst.

use pgwire::messages::response::{GssEncResponse, SslResponse};
use pgwire::messages::startup::{
    Authentication, NegotiateProtocolVersion, ParameterStatus, Startup,
};
use pgwire::messages::PgWireBackendMessage;
use rangedb_sqltypes::session::{SqlService, SqlSession};
use rangedb_sqltypes::{SqlError, SqlState};

use crate::encode::{error_response, Severity};
use crate::error::ConnectionError;
use crate::wire::{StartupPacket, Wire};

/// Protocol 3.0 as a full version number, which NegotiateProtocolVersion
/// carries (PostgreSQL sends its latest supported version this way).
const PROTOCOL_3_0: i32 = 196_608;

/// How a handshake ended.
pub(crate) enum Handshake<Sess> {
    /// Authenticated; the ParameterStatus burst has been queued.
    Session(Sess),
    /// The connection was a CancelRequest for this key pair.
    Cancel { pid: i32, secret: i32 },
    /// The client went away or was refused (the refusal has been sent).
    Closed,
}

/// Runs the startup phase up to (not including) BackendKeyData.
pub(crate) async fn handshake<S: SqlService>(
    wire: &mut Wire,
    service: &S,
) -> Result<Handshake<S::Session>, ConnectionError> {
    let startup = loop {
        match wire.read_startup().await? {
            None => return Ok(Handshake::Closed),
            // No TLS yet: refuse and let the client continue in plain text.
            Some(StartupPacket::Ssl) => {
                wire.send(PgWireBackendMessage::SslResponse(SslResponse::Refuse))
                    .await?
            }
            Some(StartupPacket::Gss) => {
                wire.send(PgWireBackendMessage::GssEncResponse(GssEncResponse::Refuse))
                    .await?
            }
            Some(StartupPacket::Cancel(request)) => {
                return Ok(match request.secret_key.as_i32() {
                    Some(secret) => Handshake::Cancel {
                        pid: request.pid,
                        secret,
                    },
                    None => Handshake::Closed,
                });
            }
            Some(StartupPacket::Startup(startup)) => break startup,
        }
    };
    negotiate_version(wire, &startup).await?;

    let params = &startup.parameters;
    let Some(user) = params.get("user").filter(|u| !u.is_empty()) else {
        let err = SqlError::new(
            SqlState::INVALID_AUTHORIZATION,
            "no PostgreSQL user name specified in startup packet",
        );
        refuse(wire, &err).await;
        return Ok(Handshake::Closed);
    };
    let database = params
        .get("database")
        .filter(|d| !d.is_empty())
        .unwrap_or(user);
    let others: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "user" && k.as_str() != "database")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();

    let session = match service.connect(user, database, &others) {
        Ok(session) => session,
        Err(err) => {
            tracing::debug!(user, database, error = %err, "connection refused");
            refuse(wire, &err).await;
            return Ok(Handshake::Closed);
        }
    };

    wire.send(PgWireBackendMessage::Authentication(Authentication::Ok))
        .await?;
    let application_name = params.get("application_name").cloned().unwrap_or_default();
    let reported = with_defaults(
        service.startup_parameters(&session),
        user,
        &application_name,
        session.eval_context().timezone.name(),
    );
    for (name, value) in reported {
        wire.send(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(
            name, value,
        )))
        .await?;
    }
    Ok(Handshake::Session(session))
}

/// Answers a request for a newer minor version or for `_pq_.` protocol
/// options with what this server speaks: 3.0 and no options.
async fn negotiate_version(wire: &mut Wire, startup: &Startup) -> Result<(), ConnectionError> {
    let options: Vec<String> = startup
        .parameters
        .keys()
        .filter(|k| k.starts_with("_pq_."))
        .cloned()
        .collect();
    if startup.protocol_number_minor > 0 || !options.is_empty() {
        wire.send(PgWireBackendMessage::NegotiateProtocolVersion(
            NegotiateProtocolVersion::new(PROTOCOL_3_0, options),
        ))
        .await?;
    }
    Ok(())
}

/// Sends a FATAL error; the caller closes the socket.
async fn refuse(wire: &mut Wire, err: &SqlError) {
    if wire
        .send(error_response(err, Severity::Fatal))
        .await
        .is_ok()
    {
        let _ = wire.flush().await;
    }
}

/// The service's parameters, completed with the ones drivers rely on that it
/// left out (psql and JDBC refuse to work without `server_version`,
/// `integer_datetimes` or `standard_conforming_strings`).
fn with_defaults(
    mut params: Vec<(String, String)>,
    user: &str,
    application_name: &str,
    timezone: &str,
) -> Vec<(String, String)> {
    let defaults = [
        ("server_version", "15.0"),
        ("server_encoding", "UTF8"),
        ("client_encoding", "UTF8"),
        ("DateStyle", "ISO, MDY"),
        ("TimeZone", timezone),
        ("integer_datetimes", "on"),
        ("standard_conforming_strings", "on"),
        ("IntervalStyle", "postgres"),
        ("is_superuser", "on"),
        ("session_authorization", user),
        ("application_name", application_name),
    ];
    for (name, value) in defaults {
        if !params.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            params.push((name.to_owned(), value.to_owned()));
        }
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_parameters_win_over_defaults() {
        let params = with_defaults(
            vec![("server_version".into(), "15.0 (rangedb)".into())],
            "root",
            "psql",
            "UTC",
        );
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("server_version"), Some("15.0 (rangedb)"));
        assert_eq!(get("session_authorization"), Some("root"));
        assert_eq!(get("application_name"), Some("psql"));
        assert_eq!(get("TimeZone"), Some("UTC"));
        assert_eq!(
            params.iter().filter(|(n, _)| n == "server_version").count(),
            1
        );
    }
}
