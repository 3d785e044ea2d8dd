import Foundation
import GatehouseStorage
import HTTPTypes
import Hummingbird

/// The dashboard's HTML: the shell every screen of the client-side app lives in, and the few
/// server-rendered message pages of the sign-in. Scripts and styles come from this origin only.
enum DashboardPage {
    /// No inline script or style; scripts, styles, images and API calls from this origin only;
    /// forms post only here; never framed.
    static let contentSecurityPolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
        "font-src 'self'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    static var headers: HTTPFields {
        [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store", .contentSecurityPolicy: contentSecurityPolicy,
            HTTPField.Name("X-Frame-Options")!: "DENY", HTTPField.Name("Referrer-Policy")!: "same-origin",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        ]
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    /// The app's shell: the operator, the CSRF token and whether the editor library is there are
    /// handed to the scripts as `<meta>` values (never the access token).
    static func shell(template: String, session: DashboardSessionRecord, editorAvailable: Bool) -> Response {
        let html = template.replacingOccurrences(of: "{{user_name}}", with: escape(session.user_name))
            .replacingOccurrences(of: "{{csrf_token}}", with: escape(session.csrf_token))
            .replacingOccurrences(of: "{{editor}}", with: editorAvailable ? "codemirror" : "textarea")
            .replacingOccurrences(of: "{{expires_at}}", with: String(session.expires_at))
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func message(title: String, text: String, link: (href: String, label: String), status: HTTPResponse.Status) -> Response {
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · Gatehouse dashboard</title><link rel="stylesheet" href="/dashboard/assets/app.css"></head>
            <body class="message-page"><main><h1>\(escape(title))</h1><p>\(escape(text))</p>
            <p><a class="button" href="\(escape(link.href))">\(escape(link.label))</a></p></main></body></html>
            """
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
