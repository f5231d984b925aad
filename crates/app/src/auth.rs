//! Signing in and out: bearer tokens for the API, sessions for the UI.

pub use store::auth::TokenKind;
pub use store::org::UserView;

use crate::{App, Result, Viewer};
use domain::ids::UserId;

impl App {
    /// Checks the password from the client at address `client` (within the limits of
    /// `store::auth::limits`) and issues a token of `kind`.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client: &str,
        kind: TokenKind,
    ) -> Result<(String, UserView)> {
        Ok(self.store.login(username, password, client, kind, self.now()).await?)
    }

    /// The signed-in user a token of `kind` stands for, if it is valid now.
    pub async fn viewer_of_token(&self, token: &str, kind: TokenKind) -> Result<Option<(UserView, Viewer)>> {
        let Some(user) = self.store.token_user(token, kind, self.now()).await? else { return Ok(None) };
        let viewer = self.store.viewer(UserId(user.id)).await?;
        Ok(Some((user, viewer)))
    }

    /// Ends a token: it never works again.
    pub async fn logout(&self, token: &str) -> Result<()> {
        Ok(self.store.logout(token, self.now()).await?)
    }
}
