import GatehouseCore
import HTTPTypes
import Hummingbird

/// One Management API operation. The list of these is the single source of the router, of the
/// validation of request bodies and query strings, and of the OpenAPI document
/// (`/api/v2/openapi.json`), so the three cannot drift apart.
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
    /// What the body must be; a body that does not fit is refused before the handler runs.
    let request: RequestBody?
    /// What a success answers.
    let response: ResponseBody?
    /// The query parameters the operation reads (a list's paging ones are added by `response`).
    let query: [QueryParameter]
    let handler: Handler

    init(
        _ method: HTTPRequest.Method, _ path: String, scope: String, currentUserScope: String? = nil, tag: String,
        summary: String,
        success: HTTPResponse.Status = .ok, request: RequestBody? = nil, response: ResponseBody? = nil, query: [QueryParameter] = [],
        handler: @escaping Handler
    ) {
        self.method = method
        self.path = path
        self.scope = scope
        self.currentUserScope = currentUserScope
        self.tag = tag
        self.summary = summary
        self.successStatus = success
        self.request = request
        self.response = response
        self.query = query
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

    /// Every query parameter: the declared ones, then a list's paging ones.
    var queryParameters: [QueryParameter] {
        query + (response?.paging ?? [])
    }

    /// A JSON request body: its schema (derived from a `Decodable` body type, closed, with its
    /// required properties) and an example for the document.
    struct RequestBody: Sendable {
        let schema: JSONSchema
        let example: JSONValue?
        /// Whether an empty body is accepted (as `{}`).
        let optional: Bool

        static func body<T: Decodable>(_ type: T.Type, required: [String] = [], example: JSONValue? = nil, optional: Bool = false)
            -> RequestBody
        {
            RequestBody(schema: JSONSchema.of(type).requestBody(required: required), example: example, optional: optional)
        }
    }

    /// A success body.
    enum ResponseBody: Sendable {
        /// One value of this shape.
        case value(JSONSchema)
        /// A list read through `ListQuery`: a bare array of `item`, or with `include_totals=true`
        /// the envelope `{key: [...], start, limit, length, total}`.
        case list(key: String, item: JSONSchema, perPageDefault: Int = 50)
        /// Auth0's actions lists: always `{total, page, per_page, key: [...]}`.
        case pagedEnvelope(key: String, item: JSONSchema, perPageDefault: Int)

        static func record<T: Decodable>(_ type: T.Type) -> ResponseBody { .value(JSONSchema.of(type)) }

        var schema: JSONSchema {
            switch self {
            case .value(let schema): schema
            case .list(let key, let item, _):
                .oneOf([
                    .array(item),
                    .object(
                        [key: .array(item), "start": .integer(), "limit": .integer(), "length": .integer(), "total": .integer()],
                        required: [key, "start", "limit", "length", "total"]),
                ])
            case .pagedEnvelope(let key, let item, _):
                .object(
                    [key: .array(item), "total": .integer(), "page": .integer(), "per_page": .integer()],
                    required: [key, "total", "page", "per_page"])
            }
        }

        var paging: [QueryParameter] {
            switch self {
            case .value: []
            case .list(_, _, let perPageDefault):
                QueryParameter.paging(perPageDefault: perPageDefault) + [
                    QueryParameter(
                        "include_totals", .boolean,
                        "Wrap the list in an object with start, limit, length and total (default false).")
                ]
            case .pagedEnvelope(_, _, let perPageDefault): QueryParameter.paging(perPageDefault: perPageDefault)
            }
        }
    }

    /// A query-string parameter, with the bounds `ListQuery` enforces.
    struct QueryParameter: Sendable {
        let name: String
        let schema: JSONSchema
        let description: String
        let required: Bool

        init(_ name: String, _ schema: JSONSchema, _ description: String, required: Bool = false) {
            self.name = name
            self.schema = schema
            self.description = description
            self.required = required
        }

        static func paging(perPageDefault: Int) -> [QueryParameter] {
            [
                QueryParameter(
                    "page", .integer(0...(ListQuery.pageableResults - 1)),
                    "Page index, from 0. Only the first \(ListQuery.pageableResults) results can be paged through."),
                QueryParameter(
                    "per_page", .integer(1...ListQuery.maximumPerPage),
                    "Items per page, 1 to \(ListQuery.maximumPerPage) (default \(perPageDefault))."),
            ]
        }
    }
}
