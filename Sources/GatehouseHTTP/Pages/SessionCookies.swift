import GatehouseCore
import GatehouseIdentity
import Hummingbird

/// The cookies of the hosted pages: the SSO session, the per-login CSRF token, and the browser
/// cookie a suspended login is bound to.
struct SessionCookies: Sendable {
    static let sessionName = "gatehouse_session"
    static let csrfName = "gatehouse_csrf"
    static let rememberBrowserName = "gatehouse_mfa_remember"

    let secure: Bool
    /// The issuer is `http://localhost`, `127.0.0.1` or `[::1]` (development).
    var loopback = false

    /// The SSO cookie carries the session's secret, never its public id (`sid`).
    func session(secret: String) -> String {
        Cookie(
            name: Self.sessionName, value: secret, maxAge: Int(AuthorizationService.sessionLifetimeMillis / 1000), path: "/",
            secure: secure, httpOnly: true, sameSite: .lax
        ).description
    }

    func clearSession() -> String {
        Cookie(name: Self.sessionName, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
            .description
    }

    /// Bound to the browser that opened the login page: a form posted from elsewhere lacks it.
    func csrf(_ token: String) -> String {
        Cookie(name: Self.csrfName, value: token, maxAge: 3600, path: "/u/", secure: secure, httpOnly: true, sameSite: .lax)
            .description
    }

    /// The browser cookie (`BrowserCookie`). It must come back on the cross-site request that
    /// returns the browser to `/continue`, which an action's target may send as a form POST
    /// (Auth0 recommends POST for returned tokens), so it is `SameSite=None; Secure` over HTTPS,
    /// and also when the issuer is a loopback address over plain HTTP: browsers treat
    /// `http://localhost` and `http://127.0.0.1` as secure and keep such a cookie (checked in
    /// Chromium). Any other plain-HTTP issuer gets `Lax`, which a cross-site POST does not carry.
    func browser(_ secret: String) -> String {
        let crossSite = secure || loopback
        return Cookie(
            name: BrowserCookie.name, value: secret, path: "/", secure: crossSite, httpOnly: true, sameSite: crossSite ? .none : .lax
        ).description
    }

    /// "Remember this browser" after MFA (when the action allowed it): the browser's token for
    /// the user (`MultifactorService.rememberBrowser`; only its SHA-256 is stored), 30 days.
    func rememberBrowser(_ token: String) -> String {
        Cookie(
            name: Self.rememberBrowserName, value: token, maxAge: Int(MultifactorService.rememberBrowserLifetime / 1000), path: "/",
            secure: secure, httpOnly: true, sameSite: .lax
        ).description
    }

    /// The reset link's ticket, for the reset page only, while an action sends the browser
    /// away (`AccountTicketRoutes.resetCookie`); `nil` clears it.
    func resetTicket(_ ticket: String?) -> String {
        Cookie(
            name: AccountTicketRoutes.resetCookie, value: ticket ?? "", maxAge: ticket == nil ? 0 : 3600, path: "/u/reset-password",
            secure: secure, httpOnly: true, sameSite: .lax
        ).description
    }
}
