import Foundation
import GatehouseCore
import Mustache

/// Renders Auth0 e-mail templates with Mustache (the library the hosted pages use). Auth0 writes
/// templates in Liquid; the part tenants use most — variables such as `{{ user.email }}`,
/// `{{ url }}`, `{{ application.name }}`, with spaces inside the braces — is also Mustache and
/// renders the same. Liquid tags (`{% if %}`, `{% for %}`) and filters (`{{ x | upcase }}`) are
/// not Mustache: a template that uses them is refused when it is saved, with a message that says
/// what to write instead (`{{#name}}…{{/name}}` for a condition). docs/ARCHITECTURE.md, "E-mail".
public enum EmailTemplateRenderer {
    /// A template (body, subject or from) that cannot be rendered.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Checks what a tenant saves: no Liquid tags or filters, and Mustache that parses.
    public static func validate(_ text: String, field: String) throws(Invalid) {
        if let tag = firstMatch(of: "{%", in: text) {
            throw Invalid(
                message: "The \(field) uses a Liquid tag (\(tag)), which this server does not support: templates are rendered with"
                    + " Mustache. Use {{#user.name}}…{{/user.name}} for a condition (or {{^name}}…{{/name}} for its opposite) and"
                    + " plain {{ variables }}.")
        }
        var rest = text[...]
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else { break }
            let inside = rest[open.upperBound..<close.lowerBound]
            if inside.contains("|") {
                throw Invalid(
                    message: "The \(field) uses a Liquid filter ({{\(inside.prefix(60))}}), which this server does not support:"
                        + " templates are rendered with Mustache; write the variable alone ({{ user.name }}).")
            }
            rest = rest[close.upperBound...]
        }
        do {
            _ = try MustacheTemplate(string: text)
        } catch {
            throw Invalid(
                message: "The \(field) is not a valid template (\(error)); check that every {{ has its }} and every section is closed.")
        }
    }

    /// Renders `text` over `variables`; HTML-escaped values when `html`, verbatim otherwise
    /// (subjects, addresses).
    public static func render(_ text: String, variables: JSONValue, html: Bool) throws(Invalid) -> String {
        let source = (html ? "" : "{{% CONTENT_TYPE: TEXT}}") + text
        do {
            return try MustacheTemplate(string: source).render(mustacheValue(variables))
        } catch {
            throw Invalid(message: "The template does not render (\(error)).")
        }
    }

    /// JSON as the dictionaries, arrays, strings, numbers and booleans Mustache walks.
    static func mustacheValue(_ value: JSONValue) -> Any {
        switch value {
        case .object(let members): members.mapValues(mustacheValue)
        case .array(let items): items.map(mustacheValue)
        case .string(let text): text
        case .number(let number): number.rounded() == number && abs(number) < 1e15 ? Int(number) as Any : number as Any
        case .bool(let flag): flag
        case .null: Optional<String>.none as Any
        }
    }

    /// The plain-text alternative of a rendered HTML body: tags dropped, links kept as
    /// `text (url)`, block ends as line breaks, the common entities decoded.
    public static func plainText(fromHTML html: String) -> String {
        var text = html
        for pattern in ["<head[^>]*>[\\s\\S]*?</head>", "<style[^>]*>[\\s\\S]*?</style>", "<script[^>]*>[\\s\\S]*?</script>"] {
            text = text.replacingOccurrences(of: pattern, with: "", options: [.regularExpression, .caseInsensitive])
        }
        text = text.replacingOccurrences(
            of: "<a\\s[^>]*href=\"([^\"]*)\"[^>]*>([\\s\\S]*?)</a>", with: "$2 ($1)", options: [.regularExpression, .caseInsensitive])
        text = text.replacingOccurrences(
            of: "<(br|/p|/h[1-6]|/div|/li|/tr)[^>]*>", with: "\n", options: [.regularExpression, .caseInsensitive])
        text = text.replacingOccurrences(of: "<[^>]+>", with: "", options: .regularExpression)
        let entities = ["&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#39;": "'", "&#x27;": "'", "&#x2F;": "/", "&nbsp;": " "]
        for (entity, character) in entities { text = text.replacingOccurrences(of: entity, with: character) }
        text = text.replacingOccurrences(of: "&amp;", with: "&")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        }
        var result: [String] = []
        for line in lines where !(line.isEmpty && (result.last?.isEmpty ?? true)) { result.append(line) }
        return result.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
    }

    static func firstMatch(of opener: String, in text: String) -> String? {
        guard let start = text.range(of: opener) else { return nil }
        let end = text[start.upperBound...].range(of: "%}")?.upperBound ?? text.index(start.upperBound, offsetBy: 0)
        return String(text[start.lowerBound..<end].prefix(40))
    }
}
