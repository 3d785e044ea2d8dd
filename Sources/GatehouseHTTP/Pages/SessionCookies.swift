import GatehouseCore
import GatehouseIdentity
import Hummingbird

/// The cookies of the hosted pages: the SSO session and the per-login CSRF token.
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
}
