import Foundation
import GatehouseCore
import GatehouseStorage
import Hummingbird

extension ManagementRequestContext {
    /// Decodes the JSON body into `T`, turning any failure into Auth0's 400 "Payload validation error".
    func body<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let buffer = try await request.body.collect(upTo: maxUploadSize)
        guard buffer.readableBytes > 0 else {
            throw ManagementAPIError.badRequest("Payload validation error: 'Expected type object but found type null'.")
        }
        guard JSONValue(jsonText: String(buffer: buffer))?.objectValue != nil else {
            throw ManagementAPIError.badRequest("Payload validation error: 'Expected type object': the body must be a JSON object.")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch let DecodingError.typeMismatch(expected, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ManagementAPIError.badRequest("Payload validation error: 'Expected type \(expected)' on property \(field).")
        } catch let DecodingError.keyNotFound(key, _) {
            throw ManagementAPIError.badRequest("Payload validation error: 'Missing required property: \(key.stringValue)'.")
        } catch {
            throw ManagementAPIError.badRequest("Payload validation error: the body does not match the expected shape.")
        }
    }

    /// A body that is a JSON array of strings (Auth0's `DELETE /hooks/{id}/secrets` takes the
    /// names to delete so).
    func stringList(from request: Request) async throws -> [String] {
        let buffer = try await request.body.collect(upTo: maxUploadSize)
        guard let items = JSONValue(jsonText: String(buffer: buffer))?.arrayValue else {
            throw ManagementAPIError.badRequest(
                "Payload validation error: 'Expected type array': the body must be a JSON array of strings.")
        }
        let strings = items.compactMap(\.stringValue)
        guard strings.count == items.count else {
            throw ManagementAPIError.badRequest("Payload validation error: 'Expected type string' for every item of the array.")
        }
        return strings
    }

    func parameter(_ name: String) throws -> String {
        guard let value = parameters.get(name) else {
            throw ManagementAPIError.badRequest("Missing path parameter \(name)", errorCode: "invalid_uri")
        }
        return value.removingPercentEncoding ?? value
    }
}

/// Auth0's list conventions: `page`, `per_page`, `include_totals`. The one place a list's paging
/// numbers are read from a request: `per_page` is 1–100 and a list pages through its first 1,000
/// results only (Auth0: "You can only page through the first 1000 records"), so no page offset
/// computed from a request can overflow.
struct ListQuery {
    static let maximumPerPage = 100
    static let pageableResults = 1000

    let page: PageRequest
    let includeTotals: Bool
    let values: [String: String]

    init(_ request: Request, perPageDefault: Int = 50) throws {
        values = RequestParameters.query(request)
        let page =
            try values["page"].map { text in
                guard let number = Int(text), number >= 0 else {
                    throw ManagementAPIError.badRequest(
                        "Query validation error: 'page' must be an integer of at least 0.", errorCode: "invalid_query_string")
                }
                return number
            } ?? 0
        let perPage =
            try values["per_page"].map { text in
                guard let number = Int(text), (1...Self.maximumPerPage).contains(number) else {
                    throw ManagementAPIError.badRequest(
                        "Query validation error: 'per_page' must be an integer from 1 to \(Self.maximumPerPage).",
                        errorCode: "invalid_query_string")
                }
                return number
            } ?? perPageDefault
        // Compared by division: `page * perPage` itself could overflow.
        guard page < (Self.pageableResults + perPage - 1) / perPage else {
            throw ManagementAPIError.badRequest(
                "You can only page through the first \(Self.pageableResults) records: page \(page) with per_page \(perPage) "
                    + "starts past them.", errorCode: "invalid_paging")
        }
        self.page = PageRequest(page: page, perPage: perPage)
        includeTotals = values["include_totals"] == "true"
    }

    /// The items of this page out of a list held in memory.
    func slice<T>(_ items: [T]) -> [T] {
        Array(items.dropFirst(page.offset).prefix(page.perPage))
    }

    /// A bare array, or `{key: [...], start, limit, length, total}` with `include_totals=true`.
    func response<T: Encodable & Sendable>(_ result: Page<T>, key: String) throws -> Response {
        guard includeTotals else { return try JSONResponse.make(result.items) }
        return try JSONResponse.make(
            JSONValue.object([
                key: .sample(result.items), "start": .number(Double(page.offset)),
                "limit": .number(Double(page.perPage)), "length": .number(Double(result.items.count)),
                "total": .number(Double(result.total)),
            ]))
    }
}

extension JSONValue {
    /// The JSON shape of an encodable sample, for OpenAPI schemas.
    static func sample(_ value: some Encodable) -> JSONValue {
        guard let data = try? JSONResponse.encoder.encode(value),
            let json = try? JSONDecoder().decode(JSONValue.self, from: data)
        else { return .object([:]) }
        return json
    }
}
