import Foundation
import GatehouseCore
import GatehouseIdentity

/// The hosted pages' texts in one language. English is complete; another language's catalogue
/// (`PageMessages+French.swift`) may leave a message out, which then shows in English. A new
/// language is one more catalogue file and one more entry in `PageLanguage.supported`.
struct PageMessages: Sendable {
    let language: PageLanguage

    init(_ language: PageLanguage) {
        self.language = language
    }

    static func catalogue(_ language: PageLanguage) -> [PageMessage: String] {
        switch language {
        case .french: french
        default: [:]
        }
    }

    subscript(_ message: PageMessage) -> String {
        Self.catalogue(language)[message] ?? Self.english(message)
    }

    /// `message` with `{0}`, `{1}`, … replaced by `arguments` in order.
    func callAsFunction(_ message: PageMessage, _ arguments: String...) -> String {
        var text = self[message]
        for (index, argument) in arguments.enumerated() {
            text = text.replacingOccurrences(of: "{\(index)}", with: argument)
        }
        return text
    }

    /// Every message, for the templates (`{{t.log_in}}`).
    var templateValues: [String: String] {
        let catalogue = Self.catalogue(language)
        return Dictionary(uniqueKeysWithValues: PageMessage.allCases.map { ($0.rawValue, catalogue[$0] ?? Self.english($0)) })
    }

    /// A password rule in this language (by its password-sheriff `code`), with its `format`
    /// values filled in; the rule's own English text when the catalogue does not know the code.
    func rule(_ rule: PasswordPolicy.Rule) -> String {
        guard let message = PageMessage(rawValue: "rule_" + rule.code) else { return rule.text }
        var text = self[message]
        for (index, value) in rule.format.enumerated() {
            let filled =
                switch value {
                case .number(let number): String(Int(number))
                default: value.stringValue ?? ""
                }
            text = text.replacingOccurrences(of: "{\(index)}", with: filled)
        }
        return text
    }

    /// A password the policy refused, as `PasswordPolicyError.explanation` says it (the refusal,
    /// then the rules not met), in this language.
    func refusal(_ error: PasswordPolicyError) -> String {
        let message: PageMessage =
            switch error.kind {
            case .strength: .passwordTooWeak
            case .dictionary: .passwordTooCommon
            case .personalInfo: .passwordPersonal
            case .history: .passwordReused
            }
        let missing = error.rules.filter { !$0.verified }.map { failed in
            ([self.rule(failed)] + failed.items.filter { !$0.verified }.map { self.rule($0) }).joined(separator: " ")
        }
        return missing.isEmpty ? self[message] + "." : self(.refusalWithRules, self[message], missing.joined(separator: "; "))
    }

    /// The rules as the sign-up and reset templates list them.
    func ruleList(_ policy: PasswordPolicy) -> [[String: Any]] {
        policy.rules().map { rule -> [String: Any] in
            ["text": self.rule(rule), "items": rule.items.map { self.rule($0) }, "has_items": !rule.items.isEmpty]
        }
    }
}
