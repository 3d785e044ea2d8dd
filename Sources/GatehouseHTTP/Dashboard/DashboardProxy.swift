import GatehouseCore
import HTTPTypes
import Hummingbird

/// `/dashboard/api/v2/…`: the dashboard's pages call the Management API through here, and only
/// through here. The request goes, in process, to the very routes `/api/v2/…` serves — same
/// authentication, scope checks, validation and audit — with the operator's access token added
/// from the server-side session. State-changing calls must come from this origin (`Origin`) and
/// carry the session's CSRF token (`X-CSRF-Token`); the session cookie is `SameSite=Strict` too.
struct DashboardProxy: Sendable {
    let management: InProcessResponder
    /// `scheme://host[:port]` of the issuer: what a same-origin browser sends as `Origin`.
    let origin: String

    static let safeMethods: Set<HTTPRequest.Method> = [.get, .head]
    /// Request headers passed on; everything else (cookies above all) stays behind.
    static let forwarded: [HTTPField.Name] = [.contentType, .accept, .contentLength]

    func forward(_ request: Request, context: DashboardRequestContext) async throws -> Response {
        if !Self.safeMethods.contains(request.method) {
            guard let sent = request.headers[.origin], sent == origin else {
                return try refuse(request, context, "The request did not come from the dashboard's own pages (Origin header).")
            }
            guard let token = request.headers[HTTPField.Name("X-CSRF-Token")!],
                SecretComparison.equal(token, context.session.csrf_token)
            else {
                return try refuse(request, context, "The request lacks this session's CSRF token (X-CSRF-Token): reload the page.")
            }
        }
        let prefix = "/dashboard"
        let path = String(request.uri.path.dropFirst(prefix.count))
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard path.hasPrefix("/api/v2/"), !segments.contains(where: { $0 == "." || $0 == ".." || $0.isEmpty }) else {
            return try refuse(request, context, "Only Management API paths can be called through the dashboard.", status: .notFound)
        }
        var fields = HTTPFields()
        for name in Self.forwarded { if let value = request.headers[name] { fields[name] = value } }
        fields[.authorization] = "Bearer \(context.session.access_token)"
        let query = request.uri.query.map { "?" + $0 } ?? ""
        let inner = Request(
            head: HTTPRequest(method: request.method, scheme: nil, authority: nil, path: path + query, headerFields: fields),
            body: request.body)
        var response = try await management.respond(to: inner, context: context.parent)
        response.headers[.cacheControl] = "no-store"
        response.headers[.wwwAuthenticate] = nil
        return response
    }

    private func refuse(
        _ request: Request, _ context: DashboardRequestContext, _ message: String, status: HTTPResponse.Status = .forbidden
    ) throws -> Response {
        try ManagementAPIError(status: status, message: message, errorCode: status == .forbidden ? "csrf_refused" : "not_found")
            .response(from: request, context: context)
    }
}
