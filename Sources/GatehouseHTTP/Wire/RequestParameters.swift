import Foundation
import GatehouseCore
import Hummingbird

/// Reading parameters the way OAuth and Auth0 clients send them.
enum RequestParameters {
    /// Parses `application/x-www-form-urlencoded` text (HTML forms, RFC 6749 requests).
    static func parseForm(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part)
            }
            let key = decode(parts[0])
            if result[key] == nil { result[key] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return result
    }

    /// The query string's parameters (first value of each name), decoded once, `+` as a space.
    static func query(_ request: Request) -> [String: String] {
        parseForm(request.uri.query ?? "")
    }

    /// A body of form fields or a JSON object (Auth0's `/oauth/token` accepts both; its SDKs send
    /// JSON). Non-string JSON values are passed on as their JSON text.
    static func body(_ request: Request, context: some RequestContext) async throws -> [String: String] {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let text = String(buffer: buffer)
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        if contentType.hasPrefix("application/json") {
            guard let object = JSONValue(jsonText: text)?.objectValue else {
                throw OAuthErrorBody.invalidJSON
            }
            return object.mapValues { $0.stringValue ?? $0.jsonText() }
        }
        return parseForm(text)
    }

    enum OAuthErrorBody: Error {
        case invalidJSON
    }
}

extension URLComponents {
    /// `base` with `parameters` added to its query, for redirects back to clients.
    static func appending(_ parameters: [(String, String?)], to base: String) -> String {
        let added = parameters.compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
        guard !added.isEmpty, var components = URLComponents(string: base) else { return base }
        let items = (components.queryItems ?? []) + added
        components.queryItems = items
        // `+` is legal in a query but means space to form decoders: encode it.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return components.string ?? base
    }
}
