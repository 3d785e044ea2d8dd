import GatehouseCore
import Hummingbird

/// The `q` parameter of `GET /api/v2/users` and `GET /api/v2/logs` (`SearchQuery`: the subset of
/// Lucene syntax Auth0 documents), parsed and checked for the resource, or Auth0's 400.
enum ManagementSearch {
    static let parameters: [ManagementEndpoint.QueryParameter] = [
        .init(
            "q", .string(),
            "A search in Lucene syntax (a documented subset: field:value, \"phrases\", wildcards, [ranges], _exists_, AND/OR/NOT)."),
        .init("search_engine", .string(["v2", "v3"]), "Accepted for compatibility; searches are always v3."),
    ]

    /// The query in `values["q"]`, `nil` when there is none.
    static func query(_ values: [String: String], fields: SearchFields) throws -> SearchQuery? {
        if values["search_engine"] == "v1" {
            throw ManagementAPIError.badRequest("The v1 search engine is no longer available: use search_engine=v3.")
        }
        guard let text = values["q"], !text.allSatisfy(\.isWhitespace) else { return nil }
        do {
            let query = try SearchQuery.parse(text)
            try query.check(fields)
            return query
        } catch {
            throw ManagementAPIError.badRequest("Invalid query: \(error.description)", errorCode: "invalid_query_string")
        }
    }
}
