import HTTPTypes
import Hummingbird

/// The dashboard's two cookies, both limited to `/dashboard` and unreadable by scripts.
struct DashboardCookies: Sendable {
    /// The session: the secret of a stored `DashboardSessionRecord` (only its SHA-256 is stored).
    /// `SameSite=Strict`: no other site can make the browser send it.
    static let sessionName = "gatehouse_dashboard"
    /// A sign-in in progress: state, nonce and PKCE verifier, sealed with the master key. `Lax`,
    /// as the callback is a top-level navigation; it holds no authority, only binds the callback
    /// to the browser that started the sign-in.
    static let signInName = "gatehouse_dashboard_signin"
    static let path = "/dashboard"

    let secure: Bool

    func session(_ secret: String, maxAge: Int) -> String {
        Cookie(
            name: Self.sessionName, value: secret, maxAge: maxAge, path: Self.path, secure: secure, httpOnly: true, sameSite: .strict
        ).description
    }

    func clearSession() -> String {
        Cookie(name: Self.sessionName, value: "", maxAge: 0, path: Self.path, secure: secure, httpOnly: true, sameSite: .strict)
            .description
    }

    func signIn(_ sealed: String) -> String {
        Cookie(name: Self.signInName, value: sealed, maxAge: 600, path: Self.path, secure: secure, httpOnly: true, sameSite: .lax)
            .description
    }

    func clearSignIn() -> String {
        Cookie(name: Self.signInName, value: "", maxAge: 0, path: Self.path, secure: secure, httpOnly: true, sameSite: .lax)
            .description
    }
}
