import Foundation
import GatehouseCore
import GatehouseIdentity
import Hummingbird

/// Reading parameters the way OAuth and Auth0 clients send them.
enum RequestParameters {
    /// Parses `application/x-www-form-urlencoded` text (HTML forms, RFC 6749 requests): `+` is a
    /// space, `%XX` a byte; the first value of a repeated name wins.
    static func parseForm(_ text: String) -> [String: String] {
        var repeated: String?
        return parseForm(text, repeated: &repeated)
    }

    /// The same, noting in `repeated` the first name that appears more than once: OAuth
    /// endpoints refuse those (RFC 6749 §3.1, §3.2: "Request and response parameters MUST NOT be
    /// included more than once").
    static func parseForm(_ text: String, repeated: inout String?) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.utf8.split(separator: UInt8(ascii: "&")) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let key = decodeComponent(parts[0])
            if result[key] == nil {
                result[key] = parts.count > 1 ? decodeComponent(parts[1]) : ""
            } else if repeated == nil {
                repeated = key
            }
        }
        return result
    }

    /// One form component, decoded on its UTF-8 bytes (this runs for every token request).
    static func decodeComponent(_ bytes: Substring.UTF8View.SubSequence) -> String {
        guard bytes.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else {
            return String(decoding: bytes, as: UTF8.self)
        }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                output.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), let high = hexValue(bytes, bytes.index(after: index)),
                let low = hexValue(bytes, bytes.index(index, offsetBy: 2, limitedBy: bytes.endIndex) ?? bytes.endIndex)
            {
                output.append(high << 4 | low)
                index = bytes.index(index, offsetBy: 2)
            } else {
                output.append(byte)
            }
            index = bytes.index(after: index)
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func hexValue(_ bytes: Substring.UTF8View.SubSequence, _ index: Substring.UTF8View.Index) -> UInt8? {
        guard index < bytes.endIndex else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return bytes[index] - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return bytes[index] - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return bytes[index] - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// The first language of `Accept-Language` (RFC 9110 §12.5.4), without its weight.
    static func language(_ request: Request) -> String? {
        guard let header = request.headers[.acceptLanguage] else { return nil }
        let first = header.split(separator: ",").first?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces)
        return first.flatMap { $0.isEmpty || $0 == "*" ? nil : $0 }
    }

    /// The query string's parameters (first value of each name), decoded once, `+` as a space.
    static func query(_ request: Request) -> [String: String] {
        parseForm(request.uri.query ?? "")
    }

    /// The query string's parameters for an OAuth endpoint: a repeated name is an error.
    static func oauthQuery(_ request: Request) throws(OAuthParameterError) -> [String: String] {
        var repeated: String?
        let query = parseForm(request.uri.query ?? "", repeated: &repeated)
        if let repeated { throw .repeated(repeated) }
        return query
    }

    /// A body of form fields or a JSON object (Auth0's `/oauth/token` accepts both; its SDKs send
    /// JSON). Non-string JSON values are passed on as their JSON text. Any other content type, a
    /// repeated form field, or JSON that is not an object is refused.
    static func body(_ request: Request, context: some RequestContext) async throws -> [String: String] {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        let isJSON = contentType.hasPrefix("application/json")
        guard isJSON || contentType.hasPrefix("application/x-www-form-urlencoded") else {
            throw OAuthParameterError.unsupportedContentType(contentType)
        }
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let text = String(buffer: buffer)
        if isJSON {
            guard let object = JSONValue(jsonText: text)?.objectValue else { throw OAuthParameterError.invalidJSON }
            // A JSON `null` is an absent parameter (SDKs such as auth0-python send `"audience":
            // null` for "not given"), not the text "null".
            return object.filter { $0.value != .null }.mapValues { $0.stringValue ?? $0.jsonText() }
        }
        var repeated: String?
        let form = parseForm(text, repeated: &repeated)
        if let repeated { throw OAuthParameterError.repeated(repeated) }
        return form
    }

    /// `body`, with its refusals as the OAuth endpoints answer them (`invalid_request`).
    static func oauthBody(_ request: Request, context: some RequestContext) async throws -> [String: String] {
        do {
            return try await body(request, context: context)
        } catch let error as OAuthParameterError {
            throw OAuthError(.invalidRequest, error.description)
        }
    }

    /// Why an OAuth request's parameters were refused; each is `invalid_request`.
    enum OAuthParameterError: Error, CustomStringConvertible {
        case invalidJSON
        case repeated(String)
        case unsupportedContentType(String)

        var description: String {
            switch self {
            case .invalidJSON: "The request body is not a JSON object."
            case .repeated(let name): "The parameter \(name) is included more than once (RFC 6749 §3.1)."
            case .unsupportedContentType(let type):
                "The request body must be application/x-www-form-urlencoded or application/json"
                    + (type.isEmpty ? ", and the Content-Type header is missing." : ", not \(type).")
            }
        }
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
