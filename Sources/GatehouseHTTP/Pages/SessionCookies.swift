import GatehouseCore
import GatehouseIdentity
import Hummingbird

/// The cookies of the hosted pages: the SSO session, the per-login CSRF token, and the browser
/// cookie a suspended login is bound to.
struct SessionCookies: Sendable {
    static let sessionName = "gatehouse_session"
    static let csrfName = "gatehouse_csrf"

    let secure: Bool

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
    /// (Auth0 recommends POST for returned tokens): over HTTPS it is `SameSite=None; Secure`.
    /// Over plain HTTP (development) browsers refuse `SameSite=None` without `Secure`, so it is
    /// `Lax`: it comes back on a top-level GET, and on a POST from the same site (every
    /// `localhost` port is one site), not on a cross-site POST.
    func browser(_ secret: String) -> String {
        Cookie(name: BrowserCookie.name, value: secret, path: "/", secure: secure, httpOnly: true, sameSite: secure ? .none : .lax)
            .description
    }
}
