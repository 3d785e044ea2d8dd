/// The `q` parameter of `GET /api/v2/users` and `GET /api/v2/logs`: the subset of Lucene query
/// syntax that Auth0's user search (v3) and log search document, parsed into a tree
/// (`SearchQuery+Match.swift` evaluates it against a record's JSON).
///
/// Supported: `field:term`, `field:"a phrase"`, `field:pre*` / `*suffix` / `*infix*` wildcards,
/// ranges `field:[a TO b]` (inclusive) and `field:{a TO b}` (exclusive) with `*` for an open end,
/// `_exists_:field`, `AND`, `OR`, `NOT` (capitalised, as Auth0 requires) and a leading `-`,
/// parentheses, and bare terms (no field) that search the resource's default fields. Terms next
/// to each other without an operator are joined with `OR`, Lucene's default. Nested fields use
/// dots (`app_metadata.plan`); arrays are searched through (`user_metadata.addresses.city`).
/// Not supported (a 400 names it): fuzzy `~`, boosts `^`, regular expressions `/…/`, `?`.
public indirect enum SearchQuery: Sendable, Equatable {
    case term(field: String?, value: SearchValue)
    case exists(field: String)
    case and(SearchQuery, SearchQuery)
    case or(SearchQuery, SearchQuery)
    case not(SearchQuery)

    /// The longest `q` accepted, and the deepest nesting of parentheses and `NOT`s.
    public static let maximumLength = 2_048
    public static let maximumDepth = 16

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Parses `text`; a message naming what is wrong and where otherwise.
    public static func parse(_ text: String) throws(ParseError) -> SearchQuery {
        guard text.utf8.count <= maximumLength else {
            throw ParseError(description: "The query is longer than \(maximumLength) bytes.")
        }
        var parser = SearchQueryParser(tokens: try SearchQueryLexer.tokens(text))
        guard !parser.tokens.isEmpty else { throw ParseError(description: "The query is empty.") }
        let query = try parser.orExpression(depth: 0)
        if parser.index < parser.tokens.count {
            throw ParseError(description: "Unexpected \(parser.tokens[parser.index].text) in the query.")
        }
        return query
    }
}

/// What a term compares with.
public enum SearchValue: Sendable, Equatable {
    /// A word or a quoted phrase, matched whole.
    case exact(String)
    /// A word with `*` wildcards: the literal parts in order.
    case pattern([String], anchoredStart: Bool, anchoredEnd: Bool)
    /// `[a TO b]` / `{a TO b}`; `nil` bounds are open (`*`).
    case range(lower: String?, upper: String?, includeLower: Bool, includeUpper: Bool)
}

struct SearchQueryToken: Equatable {
    enum Kind: Equatable { case word, phrase, colon, open, close, rangeOpen(Bool), rangeClose(Bool), minus }
    var kind: Kind
    var text: String
}

enum SearchQueryLexer {
    static func tokens(_ text: String) throws(SearchQuery.ParseError) -> [SearchQueryToken] {
        var tokens: [SearchQueryToken] = []
        var characters = Array(text)[...]
        while let character = characters.first {
            if character.isWhitespace {
                characters.removeFirst()
                continue
            }
            switch character {
            case "(": tokens.append(.init(kind: .open, text: "("))
            case ")": tokens.append(.init(kind: .close, text: ")"))
            case ":": tokens.append(.init(kind: .colon, text: ":"))
            case "[", "{": tokens.append(.init(kind: .rangeOpen(character == "["), text: String(character)))
            case "]", "}": tokens.append(.init(kind: .rangeClose(character == "]"), text: String(character)))
            case "-" where tokens.last.map({ $0.kind != .colon }) ?? true:
                tokens.append(.init(kind: .minus, text: "-"))
            case "\"":
                characters.removeFirst()
                var phrase = ""
                var closed = false
                while let next = characters.popFirst() {
                    if next == "\\", let escaped = characters.popFirst() {
                        phrase.append(escaped)
                    } else if next == "\"" {
                        closed = true
                        break
                    } else {
                        phrase.append(next)
                    }
                }
                guard closed else { throw SearchQuery.ParseError(description: "A quoted phrase is not closed.") }
                tokens.append(.init(kind: .phrase, text: phrase))
                continue
            case "~", "^", "/", "?":
                throw SearchQuery.ParseError(
                    description: "'\(character)' (fuzzy, boost, regular expression or single-character wildcard) is not supported.")
            default:
                var word = ""
                while let next = characters.first, !next.isWhitespace, !"():[]{}\"".contains(next) {
                    characters.removeFirst()
                    if next == "\\", let escaped = characters.popFirst() {
                        // An escaped `*` is a literal star, kept apart from wildcards.
                        word.append(escaped == "*" ? "\u{0}" : escaped)
                    } else if "~^?".contains(next) {
                        throw SearchQuery.ParseError(
                            description:
                                "'\(next)' (fuzzy, boost or single-character wildcard) is not supported; quote the value to search for it.")
                    } else {
                        word.append(next)
                    }
                }
                tokens.append(.init(kind: .word, text: word))
                continue
            }
            characters.removeFirst()
        }
        return tokens
    }
}

struct SearchQueryParser {
    let tokens: [SearchQueryToken]
    var index = 0

    init(tokens: [SearchQueryToken]) { self.tokens = tokens }

    private var current: SearchQueryToken? { index < tokens.count ? tokens[index] : nil }

    private func isOperator(_ name: String) -> Bool { current == SearchQueryToken(kind: .word, text: name) }

    mutating func orExpression(depth: Int) throws(SearchQuery.ParseError) -> SearchQuery {
        var query = try andExpression(depth: depth)
        while let token = current, token.kind != .close {
            if isOperator("OR") { index += 1 }
            query = .or(query, try andExpression(depth: depth))
        }
        return query
    }

    mutating func andExpression(depth: Int) throws(SearchQuery.ParseError) -> SearchQuery {
        var query = try unary(depth: depth)
        while isOperator("AND") {
            index += 1
            query = .and(query, try unary(depth: depth))
        }
        return query
    }

    mutating func unary(depth: Int) throws(SearchQuery.ParseError) -> SearchQuery {
        guard depth < SearchQuery.maximumDepth else {
            throw SearchQuery.ParseError(description: "The query nests deeper than \(SearchQuery.maximumDepth) levels.")
        }
        if isOperator("NOT") || current?.kind == .minus {
            index += 1
            return .not(try unary(depth: depth + 1))
        }
        return try primary(depth: depth)
    }

    mutating func primary(depth: Int) throws(SearchQuery.ParseError) -> SearchQuery {
        guard let token = current else { throw SearchQuery.ParseError(description: "The query ends where a term was expected.") }
        switch token.kind {
        case .open:
            index += 1
            let inner = try orExpression(depth: depth + 1)
            guard current?.kind == .close else { throw SearchQuery.ParseError(description: "A parenthesis is not closed.") }
            index += 1
            return inner
        case .word where ["AND", "OR"].contains(token.text):
            throw SearchQuery.ParseError(description: "\(token.text) needs a term on each side.")
        case .word where index + 1 < tokens.count && tokens[index + 1].kind == .colon:
            let field = token.text
            guard field.allSatisfy({ $0.isLetter || $0.isNumber || "_.-".contains($0) }) else {
                throw SearchQuery.ParseError(description: "'\(field)' is not a field name.")
            }
            index += 2
            if field == "_exists_" {
                guard let target = current, target.kind == .word else {
                    throw SearchQuery.ParseError(description: "_exists_ needs a field name.")
                }
                index += 1
                return .exists(field: target.text)
            }
            return .term(field: field, value: try value(for: field))
        case .word, .phrase:
            return .term(field: nil, value: try value(for: nil))
        default:
            throw SearchQuery.ParseError(description: "Unexpected \(token.text) in the query.")
        }
    }

    mutating func value(for field: String?) throws(SearchQuery.ParseError) -> SearchValue {
        guard let token = current else {
            throw SearchQuery.ParseError(description: "\(field ?? "The query") needs a value after ':'.")
        }
        index += 1
        switch token.kind {
        case .phrase:
            return .exact(token.text)
        case .word where token.text.contains("*"):
            let parts = token.text.split(separator: "*", omittingEmptySubsequences: false).map(\.unescapingStars)
            return .pattern(
                parts.filter { !$0.isEmpty }, anchoredStart: !token.text.hasPrefix("*"), anchoredEnd: !token.text.hasSuffix("*"))
        case .word:
            return .exact(token.text.unescapingStars)
        case .rangeOpen(let includeLower):
            guard let lower = current, index + 2 < tokens.count,
                tokens[index + 1] == SearchQueryToken(kind: .word, text: "TO")
            else { throw SearchQuery.ParseError(description: "A range is written [low TO high] or {low TO high}.") }
            let upper = tokens[index + 2]
            index += 3
            guard case .rangeClose(let includeUpper) = current?.kind, [.word, .phrase].contains(lower.kind),
                [.word, .phrase].contains(upper.kind)
            else { throw SearchQuery.ParseError(description: "A range is written [low TO high] or {low TO high}.") }
            index += 1
            return .range(
                lower: lower.text == "*" && lower.kind == .word ? nil : lower.text,
                upper: upper.text == "*" && upper.kind == .word ? nil : upper.text, includeLower: includeLower,
                includeUpper: includeUpper)
        default:
            throw SearchQuery.ParseError(description: "\(field ?? "A term") has no value.")
        }
    }
}

extension StringProtocol {
    /// The word with its escaped stars (kept as NUL by the lexer) back as literal `*`.
    fileprivate var unescapingStars: String { String(map { $0 == "\u{0}" ? "*" : $0 }) }
}
