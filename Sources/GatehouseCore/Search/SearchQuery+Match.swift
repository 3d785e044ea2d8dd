import Foundation

/// What a resource's search knows about its fields (`SearchFields.users`, `.logs`).
public struct SearchFields: Sendable {
    /// Fields compared without regard to case (Auth0's normalised user fields); others are exact.
    public var caseInsensitive: Set<String>
    /// The fields a bare term (no `field:`) searches, as a case-insensitive substring.
    public var defaults: [String]
    /// Fields computed from the document (`email.domain`).
    public var computed: [String: @Sendable (JSONValue) -> [JSONValue]]
    /// Field prefixes on which wildcards and ranges are refused (Auth0: `user_metadata`).
    public var exactOnly: [String]

    public init(
        caseInsensitive: Set<String>, defaults: [String], computed: [String: @Sendable (JSONValue) -> [JSONValue]] = [:],
        exactOnly: [String] = []
    ) {
        self.caseInsensitive = caseInsensitive
        self.defaults = defaults
        self.computed = computed
        self.exactOnly = exactOnly
    }

    /// Auth0's user search (v3): normalised fields without case, `email.domain`, metadata exact
    /// only in `user_metadata`.
    public static let users = SearchFields(
        caseInsensitive: ["email", "name", "given_name", "family_name", "nickname", "username", "email.domain"],
        defaults: ["email", "name", "nickname", "given_name", "family_name", "username", "user_id"],
        computed: [
            "email.domain": { document in
                guard let email = document["email"]?.stringValue, let at = email.lastIndex(of: "@") else { return [] }
                return [.string(String(email[email.index(after: at)...]))]
            }
        ],
        exactOnly: ["user_metadata"])

    /// Auth0's log search: `type`, `date`, `user_id`, `user_name`, `client_id`, `client_name`,
    /// `ip`, `description`, `details.*`, … exact, `user_name` without case.
    public static let logs = SearchFields(
        caseInsensitive: ["user_name"], defaults: ["description", "user_name", "client_name", "user_id", "type"])
}

extension SearchQuery {
    /// Refuses what the resource does not allow (wildcards and ranges on `user_metadata`).
    public func check(_ fields: SearchFields) throws(ParseError) {
        switch self {
        case .term(let field?, let value):
            if case .exact = value { return }
            if fields.exactOnly.contains(where: { field == $0 || field.hasPrefix($0 + ".") }) {
                throw ParseError(description: "Wildcards and ranges cannot be used on \(field).")
            }
        case .term, .exists: return
        case .and(let left, let right), .or(let left, let right):
            try left.check(fields)
            try right.check(fields)
        case .not(let inner): try inner.check(fields)
        }
    }

    /// Whether `document` (a record's JSON) matches.
    public func matches(_ document: JSONValue, fields: SearchFields) -> Bool {
        switch self {
        case .and(let left, let right): left.matches(document, fields: fields) && right.matches(document, fields: fields)
        case .or(let left, let right): left.matches(document, fields: fields) || right.matches(document, fields: fields)
        case .not(let inner): !inner.matches(document, fields: fields)
        case .exists(let field): !Self.values(field, in: document, fields: fields).filter { $0 != .null }.isEmpty
        case .term(let field?, let value):
            Self.values(field, in: document, fields: fields).contains {
                Self.compare($0, value, caseInsensitive: fields.caseInsensitive.contains(field))
            }
        case .term(nil, let value):
            fields.defaults.contains { field in
                Self.values(field, in: document, fields: fields).contains { Self.contains($0, value) }
            }
        }
    }

    /// The scalar values at a dotted path; arrays are searched through at every level.
    static func values(_ field: String, in document: JSONValue, fields: SearchFields) -> [JSONValue] {
        if let computed = fields.computed[field] { return computed(document) }
        var current = [document]
        for key in field.split(separator: ".") {
            current = current.flatMap { value -> [JSONValue] in
                let found = value[String(key)]
                if case .array(let elements)? = found { return elements }
                return found.map { [$0] } ?? []
            }.flatMap { value -> [JSONValue] in
                if case .array(let elements) = value { return elements }
                return [value]
            }
        }
        return current
    }

    static func text(_ value: JSONValue) -> String? {
        switch value {
        case .string(let string): string
        case .number(let number): number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .bool(let bool): String(bool)
        default: nil
        }
    }

    static func compare(_ value: JSONValue, _ wanted: SearchValue, caseInsensitive: Bool) -> Bool {
        guard let raw = text(value) else { return false }
        let actual = caseInsensitive ? raw.lowercased() : raw
        switch wanted {
        case .exact(let expected):
            if case .number(let number) = value, let target = Double(expected) { return number == target }
            return actual == (caseInsensitive ? expected.lowercased() : expected)
        case .pattern(let parts, let anchoredStart, let anchoredEnd):
            return matchesPattern(actual, parts.map { caseInsensitive ? $0.lowercased() : $0 }, anchoredStart, anchoredEnd)
        case .range(let lower, let upper, let includeLower, let includeUpper):
            if case .number(let number) = value {
                let low = lower.map { Double($0) }
                let high = upper.map { Double($0) }
                if low != .some(nil) && high != .some(nil) {
                    return within(number, low ?? nil, high ?? nil, includeLower, includeUpper)
                }
            }
            return within(actual, lower, upper, includeLower, includeUpper)
        }
    }

    static func within<T: Comparable>(_ value: T, _ lower: T?, _ upper: T?, _ includeLower: Bool, _ includeUpper: Bool) -> Bool {
        if let lower, includeLower ? value < lower : value <= lower { return false }
        if let upper, includeUpper ? value > upper : value >= upper { return false }
        return true
    }

    /// A bare term: a substring of the value, without case (a pattern: its parts in order).
    static func contains(_ value: JSONValue, _ wanted: SearchValue) -> Bool {
        guard let actual = text(value)?.lowercased() else { return false }
        switch wanted {
        case .exact(let expected): return actual.contains(expected.lowercased())
        case .pattern(let parts, _, _): return matchesPattern(actual, parts.map { $0.lowercased() }, false, false)
        case .range: return compare(value, wanted, caseInsensitive: true)
        }
    }

    static func matchesPattern(_ value: String, _ parts: [String], _ anchoredStart: Bool, _ anchoredEnd: Bool) -> Bool {
        var rest = Substring(value)
        for (index, part) in parts.enumerated() {
            if index == 0 && anchoredStart {
                guard rest.hasPrefix(part) else { return false }
                rest = rest.dropFirst(part.count)
            } else if index == parts.count - 1 && anchoredEnd {
                return rest.hasSuffix(part)
            } else {
                guard let found = rest.range(of: part) else { return false }
                rest = rest[found.upperBound...]
            }
        }
        return !anchoredEnd || rest.isEmpty || parts.isEmpty
    }
}
