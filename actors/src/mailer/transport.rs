//! lettre over tokio with rustls (never native-tls/openssl): the transport per SMTP_TLS, and one
//! outbox message turned into a MIME message (text + HTML alternative, files attached).
use super::{SmtpSecurity, SmtpSettings};
use crate::store::outbox::Claimed;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

pub type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// operations.md §6: 30 s timeouts.
const TIMEOUT: Duration = Duration::from_secs(30);

pub fn build(s: &SmtpSettings) -> Result<Transport, String> {
    let builder = match s.security {
        SmtpSecurity::None => Transport::builder_dangerous(&s.host),
        SmtpSecurity::Tls => Transport::relay(&s.host).map_err(|e| e.to_string())?,
        SmtpSecurity::StartTls => Transport::starttls_relay(&s.host).map_err(|e| e.to_string())?,
    };
    let mut builder = builder.port(s.port).timeout(Some(TIMEOUT));
    if let (Some(user), Some(pass)) = (&s.user, &s.pass) {
        builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
    }
    Ok(builder.build())
}

/// Why a send failed, and whether trying again can help.
pub struct SendFailure {
    pub message: String,
    /// A 5xx answer or a message we cannot even build: retrying would fail the same way.
    pub permanent: bool,
}

fn mime(from: &str, m: &Claimed) -> Result<Message, SendFailure> {
    let permanent = |e: String| SendFailure {
        message: e,
        permanent: true,
    };
    let mut b = Message::builder()
        .from(
            from.parse()
                .map_err(|e| permanent(format!("SMTP_FROM: {e}")))?,
        )
        .subject(m.subject.clone())
        .message_id(Some(format!("<{}@kpi-ops>", m.message_id)));
    for r in &m.recipients {
        b = b.to(r
            .parse()
            .map_err(|e| permanent(format!("recipient {r}: {e}")))?);
    }
    let mut body = MultiPart::mixed().multipart(MultiPart::alternative_plain_html(
        m.body_text.clone(),
        m.body_html.clone(),
    ));
    for a in &m.attachments {
        let ct = ContentType::parse(&a.content_type).map_err(|e| permanent(e.to_string()))?;
        body = body.singlepart(Attachment::new(a.file_name.clone()).body(a.content.clone(), ct));
    }
    b.multipart(body).map_err(|e| permanent(e.to_string()))
}

/// Sends one message; Ok is the Message-ID header it carried.
pub async fn send(t: &Transport, from: &str, m: &Claimed) -> Result<String, SendFailure> {
    let email = mime(from, m)?;
    let id = format!("<{}@kpi-ops>", m.message_id);
    match t.send(email).await {
        Ok(_) => Ok(id),
        Err(e) => Err(SendFailure {
            permanent: e.is_permanent(),
            message: e.to_string(),
        }),
    }
}
