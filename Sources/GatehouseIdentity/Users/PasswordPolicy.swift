import Foundation
import GatehouseCore
import GatehouseStorage

/// The password rules of a database connection, as Auth0 has them ("Password Strength in Auth0
/// Database Connections", "Password Options in Auth0 Database Connections"): a strength level
/// (`passwordPolicy`: none, low, fair, good, excellent) whose length `min_length` may raise or
/// lower, no personal information, no common password or tenant word, and no recent password.
/// The rules are listed in Auth0's words, so the hosted pages can show them before the person
/// types and a refusal can say which one failed.
public struct PasswordPolicy: Sendable, Equatable {
    public enum Level: String, Sendable, CaseIterable {
        case none, low, fair, good, excellent

        /// The length Auth0 asks for at this level (before `min_length`).
        var length: Int {
            switch self {
            case .none: 1
            case .low: 6
            case .fair, .good: 8
            case .excellent: 10
            }
        }
    }

    /// One rule, as Auth0's password-sheriff reports it (`code`, `message`, `format`, `items`).
    public struct Rule: Sendable, Equatable {
        public var code: String
        public var message: String
        public var format: [JSONValue]
        public var items: [Rule]
        public var verified: Bool

        /// `message` with its `%d` / `%s` filled in from `format`.
        public var text: String {
            var text = message
            for value in format {
                guard let range = text.range(of: "%d") ?? text.range(of: "%s") else { break }
                let filled =
                    switch value {
                    case .number(let number): String(Int(number))
                    default: value.stringValue ?? ""
                    }
                text.replaceSubrange(range, with: filled)
            }
            return text
        }

        var json: JSONValue {
            var object: [String: JSONValue] = ["code": .string(code), "message": .string(message), "verified": .bool(verified)]
            if !format.isEmpty { object["format"] = .array(format) }
            if !items.isEmpty { object["items"] = .array(items.map(\.json)) }
            return .object(object)
        }
    }

    public var level: Level
    public var minLength: Int
    /// How many earlier passwords may not be used again (0: any).
    public var historySize: Int
    public var noPersonalInfo: Bool
    /// `nil` when the dictionary rule is off; otherwise the tenant's own words (the built-in
    /// list of common passwords applies too).
    public var dictionary: [String]?
    /// The common passwords the dictionary rule refuses besides `dictionary`.
    public var common: CommonPasswords

    public init(_ options: ConnectionRecord.Options, common: CommonPasswords = .builtIn) {
        self.common = common
        level = options.passwordPolicy.flatMap(Level.init(rawValue:)) ?? .none
        minLength = options.password_min_length
        historySize = options.password_history.map { $0.enable ? min(24, max(1, $0.size ?? 5)) : 0 } ?? 0
        noPersonalInfo = options.password_no_personal_info?.enable ?? false
        dictionary = options.password_dictionary.flatMap { $0.enable ? ($0.dictionary ?? []) : nil }
    }

    /// The length asked for: the level's, or `min_length` when longer. (Auth0 lets `min_length`
    /// also shorten a level's length; every Gatehouse connection has a `min_length`, 8 by
    /// default, so a shorter one would silently weaken a level chosen later: never weaker here.)
    public var length: Int { max(level.length, minLength) }

    private static let lower = Rule(code: "lowerCase", message: "lower case letters (a-z)", format: [], items: [], verified: false)
    private static let upper = Rule(code: "upperCase", message: "upper case letters (A-Z)", format: [], items: [], verified: false)
    private static let numbers = Rule(code: "numbers", message: "numbers (i.e. 0-9)", format: [], items: [], verified: false)
    private static let special = Rule(
        code: "specialCharacters", message: "special characters (e.g. !@#$%^&*)", format: [], items: [], verified: false)

    /// The strength rules for `password` (or, with `nil`, as a list to show before typing).
    public func rules(for password: String? = nil) -> [Rule] {
        let value = password ?? ""
        func verified(_ rule: Rule, _ ok: Bool) -> Rule {
            var rule = rule
            rule.verified = password != nil && ok
            return rule
        }
        let kinds: [(Rule, Bool)] = [
            (Self.lower, value.contains { $0.isLowercase }), (Self.upper, value.contains { $0.isUppercase }),
            (Self.numbers, value.contains { $0.isNumber }),
            (Self.special, value.contains { !$0.isLetter && !$0.isNumber && !$0.isWhitespace }),
        ]
        var rules = [
            verified(
                Rule(
                    code: "lengthAtLeast", message: "At least %d characters in length", format: [.number(Double(length))], items: [],
                    verified: false), value.count >= length)
        ]
        switch level {
        case .none, .low:
            break
        case .fair:
            let items = kinds.prefix(3).map { verified($0.0, $0.1) }
            rules.append(
                Rule(code: "contains", message: "Should contain:", format: [], items: items, verified: items.allSatisfy(\.verified)))
        case .good, .excellent:
            let items = kinds.map { verified($0.0, $0.1) }
            rules.append(
                Rule(
                    code: "containsAtLeast", message: "Contain at least %d of the following %d types of characters:",
                    format: [3, 4], items: items, verified: items.filter(\.verified).count >= 3))
        }
        if level == .excellent {
            rules.append(
                verified(
                    Rule(
                        code: "identicalChars", message: "No more than %d identical characters in a row (e.g., \"%s\" not allowed)",
                        format: [2, "aaa"], items: [], verified: false), !Self.hasRun(of: 3, in: value)))
        }
        return rules
    }

    /// Auth0's `policy` text: the rules as a bulleted list.
    public var description: String {
        rules().map { rule in
            (["* " + rule.text] + rule.items.map { " * " + $0.text }).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Checks what can be checked without the database; `personal` are the user's name,
    /// username, nickname and e-mail. Throws the first rule broken.
    public func check(_ password: String, personal: [String?]) throws(PasswordPolicyError) {
        let rules = rules(for: password)
        guard rules.allSatisfy(\.verified) else {
            throw PasswordPolicyError(
                kind: .strength, message: "Password is too weak", rules: rules, policy: description)
        }
        if let dictionary {
            let lowered = password.lowercased()
            if common.contains(lowered) || dictionary.contains(where: { $0.lowercased() == lowered }) {
                throw PasswordPolicyError(kind: .dictionary, message: "Password is too common", rules: [], policy: description)
            }
        }
        if noPersonalInfo {
            let lowered = password.lowercased()
            let parts = personal.compactMap { $0?.lowercased() }.flatMap { value -> [String] in
                // The e-mail counts by its local part, as on Auth0.
                let local = value.split(separator: "@").first.map(String.init) ?? value
                return [local] + local.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
            }
            if parts.contains(where: { $0.count >= 3 && lowered.contains($0) }) {
                throw PasswordPolicyError(
                    kind: .personalInfo, message: "Password is based on user information", rules: [], policy: description)
            }
        }
    }

    static func hasRun(of count: Int, in value: String) -> Bool {
        var previous: Character?
        var run = 0
        for character in value {
            run = character == previous ? run + 1 : 1
            previous = character
            if run >= count { return true }
        }
        return false
    }
}

/// A password a connection's policy refuses, in Auth0's terms: `name` is Auth0's error name
/// (`PasswordStrengthError`, `PasswordDictionaryError`, `PasswordNoUserInfoError`,
/// `PasswordHistoryError`), `message` Auth0's text, `rules` the strength rules with what passed.
public struct PasswordPolicyError: Error, Sendable, Equatable {
    public enum Kind: Sendable {
        case strength, dictionary, personalInfo, history
    }

    public var kind: Kind
    public var message: String
    public var rules: [PasswordPolicy.Rule]
    /// The policy as a bulleted list (Auth0's `policy`).
    public var policy: String

    public var name: String {
        switch kind {
        case .strength: "PasswordStrengthError"
        case .dictionary: "PasswordDictionaryError"
        case .personalInfo: "PasswordNoUserInfoError"
        case .history: "PasswordHistoryError"
        }
    }

    /// Auth0's `description` of a strength error: `{rules, verified}`; the message otherwise.
    public var descriptionJSON: JSONValue {
        guard kind == .strength else { return .string(message) }
        return .object(["rules": .array(rules.map(\.json)), "verified": false])
    }

    /// One sentence for people: the message and, for strength, the rules not met.
    public var explanation: String {
        let missing = rules.filter { !$0.verified }.map { rule in
            ([rule.text] + rule.items.filter { !$0.verified }.map(\.text)).joined(separator: " ")
        }
        return missing.isEmpty ? message + "." : message + ": " + missing.joined(separator: "; ") + "."
    }
}

/// The common passwords the dictionary rule refuses besides the tenant's own words: a short
/// built-in list of the passwords that lead every published list of leaked passwords, plus the
/// operator's list (`GATEHOUSE_PASSWORD_DICTIONARY`, a file with one password per line, e.g. a
/// list of the 10,000 or 100,000 most common leaked passwords — Auth0 uses a list of 10,000).
/// No long list ships with Gatehouse: none is ours to ship, and the operator chooses its size.
public struct CommonPasswords: Sendable, Equatable {
    /// Lower-cased.
    let passwords: Set<String>

    public static let builtIn = CommonPasswords(passwords: builtInList)

    /// How many passwords the list holds.
    public var count: Int { passwords.count }

    public func contains(_ lowercasedPassword: String) -> Bool { passwords.contains(lowercasedPassword) }

    /// The built-in list and the passwords in `path`, one per line (UTF-8; blank lines and line
    /// ends ignored; compared without case). Throws a message naming the file when it cannot be read.
    public static func loading(_ path: String) throws -> CommonPasswords {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadFailure(description: "the password dictionary \(path) cannot be read: check the path and its permissions")
        }
        var passwords = builtInList
        for line in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) where !line.isEmpty {
            passwords.insert(line.lowercased())
        }
        return CommonPasswords(passwords: passwords)
    }

    public struct LoadFailure: Error, CustomStringConvertible {
        public var description: String
    }

    static let builtInList: Set<String> = [
        "123456", "123456789", "12345678", "12345", "1234567", "1234567890", "password", "password1", "password123",
        "qwerty", "qwerty123", "qwertyuiop", "111111", "000000", "123123", "abc123", "1q2w3e4r", "1qaz2wsx", "iloveyou",
        "admin", "admin123", "welcome", "welcome1", "letmein", "monkey", "dragon", "sunshine", "princess", "football",
        "baseball", "master", "shadow", "superman", "trustno1", "passw0rd", "p@ssw0rd", "p@ssword", "changeme", "secret",
        "azerty", "654321", "666666", "121212", "7777777", "michael", "jennifer", "computer", "whatever", "starwars",
        "login", "hello123", "freedom", "zaq12wsx", "q1w2e3r4", "asdfghjkl", "zxcvbnm", "correcthorsebatterystaple",
    ]
}
