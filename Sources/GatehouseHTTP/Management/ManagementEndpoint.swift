import GatehouseCore
import HTTPTypes
import Hummingbird

/// One Management API operation. The list of these is the single source of both the router and
/// the OpenAPI document (`/api/v2/openapi.json`), so the two cannot drift apart.
struct ManagementEndpoint: Sendable {
    typealias Handler = @Sendable (Request, ManagementRequestContext) async throws -> Response

    let method: HTTPRequest.Method
    /// OpenAPI-style path below `/api/v2`, e.g. `/users/{id}/roles`.
    let path: String
    /// The scope the token must carry (Auth0's name for this operation).
    let scope: String
    /// The current-user scope that also opens this operation, for an end user's token and only
    /// when the path's `{id}` is that user (Auth0: `read:current_user`, `update:current_user_metadata`).
    let currentUserScope: String?
    let summary: String
    /// Tag (resource family) for the OpenAPI document.
    let tag: String
    let successStatus: HTTPResponse.Status
    /// A value shaped like the success body, from which the response schema is inferred.
    let responseExample: JSONValue?
    /// A value shaped like the request body, from which the request schema is inferred.
    let requestExample: JSONValue?
    let handler: Handler

    init(
        _ method: HTTPRequest.Method, _ path: String, scope: String, currentUserScope: String? = nil, tag: String,
        summary: String,
        success: HTTPResponse.Status = .ok, request: JSONValue? = nil, response: JSONValue? = nil,
        handler: @escaping Handler
    ) {
        self.method = method
        self.path = path
        self.scope = scope
        self.currentUserScope = currentUserScope
        self.tag = tag
        self.summary = summary
        self.successStatus = success
        self.requestExample = request
        self.responseExample = response
        self.handler = handler
    }

    /// Hummingbird's spelling of the path: `{id}` becomes `:id`.
    var routerPath: String {
        path.split(separator: "/").map { part in
            part.hasPrefix("{") ? ":" + part.dropFirst().dropLast() : String(part)
        }.joined(separator: "/")
    }

    var pathParameters: [String] {
        path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
    }
}
