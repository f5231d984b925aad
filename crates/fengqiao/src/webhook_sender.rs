//! The webhook sender of a running server: `jobs` speaks no HTTP, so the binary hands it this
//! reqwest client (a 10-second limit per delivery, no redirects followed).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use jobs::webhooks::WebhookSender;

pub struct ReqwestSender {
    client: reqwest::Client,
}

impl ReqwestSender {
    pub fn new() -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Fengqiao-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(ReqwestSender { client })
    }
}

impl WebhookSender for ReqwestSender {
    fn post<'a>(
        &'a self,
        url: &'a str,
        headers: &'a [(&'static str, String)],
        body: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<u16, String>> + Send + 'a>> {
        Box::pin(async move {
            let mut request =
                self.client.post(url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body.to_owned());
            for (name, value) in headers {
                request = request.header(*name, value);
            }
            request.send().await.map(|r| r.status().as_u16()).map_err(|e| e.to_string())
        })
    }
}
