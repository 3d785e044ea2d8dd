import Foundation
import GatehouseCore
import GatehouseMail
import GatehouseStorage

/// E-mail templates (Auth0 "Management API: Email Templates", `/api/v2/email-templates`). A
/// template the tenant has not set reads as the built-in default for the four this server sends
/// (`EmailTemplateDefaults`); the others do not exist until created.
extension EmailService {
    /// The tenant's template, or the built-in default.
    public func template(_ name: String) async throws -> EmailTemplateRecord {
        let known = try Self.templateName(name)
        if let stored = try await storage.read({ try await $0.email.template(name) }) { return stored }
        guard let builtIn = EmailTemplateDefaults.template(known) else { throw Self.templateNotFound(name) }
        return builtIn
    }

    /// `POST /api/v2/email-templates`: a template the tenant has not set yet.
    public func createTemplate(_ body: [String: JSONValue]) async throws -> EmailTemplateRecord {
        let name = body["template"]?.stringValue ?? ""
        let template = try Self.template(from: body, over: EmailTemplateRecord(template: try Self.templateName(name).rawValue))
        do {
            try await storage.transaction { try await $0.email.insertTemplate(template) }
        } catch StorageError.conflict {
            throw EmailSettingsError(
                .templateExists, "The \(name) template already exists; change it with PATCH or PUT /api/v2/email-templates/\(name).")
        }
        return template
    }

    /// `PUT /api/v2/email-templates/{templateName}`: creates or replaces it whole.
    public func replaceTemplate(_ name: String, _ body: [String: JSONValue]) async throws -> EmailTemplateRecord {
        let known = try Self.templateName(name)
        let template = try Self.template(from: body, over: EmailTemplateRecord(template: known.rawValue))
        try await storage.transaction { try await $0.email.putTemplate(template) }
        return template
    }

    /// `PATCH /api/v2/email-templates/{templateName}`: the members given, over the tenant's
    /// template or the built-in default.
    public func updateTemplate(_ name: String, _ patch: [String: JSONValue]) async throws -> EmailTemplateRecord {
        let current = try await template(name)
        let template = try Self.template(from: patch, over: current)
        try await storage.transaction { try await $0.email.putTemplate(template) }
        return template
    }

    static func templateName(_ name: String) throws -> EmailTemplateName {
        guard let known = EmailTemplateName(rawValue: name) else {
            throw EmailSettingsError(
                .templateNotFound,
                "'\(name.prefix(60))' is not an email template name; names are \(EmailTemplateName.allNames.joined(separator: ", ")).")
        }
        return known
    }

    static func templateNotFound(_ name: String) -> EmailSettingsError {
        EmailSettingsError(.templateNotFound, "The \(name) template does not exist; create it with POST /api/v2/email-templates.")
    }

    /// `body` over `base`, checked: the path's name and the body's agree, `syntax` is `liquid`,
    /// the body, subject and from are templates this server can render, the lifetime is sane.
    static func template(from body: [String: JSONValue], over base: EmailTemplateRecord) throws -> EmailTemplateRecord {
        var template = base
        if let name = body["template"]?.stringValue, name != base.template {
            throw EmailSettingsError(
                .invalidBody, "Payload validation error: template is '\(name)' but the path names '\(base.template)'.")
        }
        func text(_ key: String) -> String?? { body[key].map { $0.stringValue } }
        if let value = text("body") { template.body = value }
        if let value = text("subject") { template.subject = value }
        if let value = text("from") { template.from = value }
        if let value = text("resultUrl") { template.resultUrl = value }
        if let value = text("syntax") { template.syntax = value }
        if let value = body["enabled"] { template.enabled = value.boolValue }
        if let value = body["includeEmailInRedirect"] { template.includeEmailInRedirect = value.boolValue }
        if let value = body["urlLifetimeInSeconds"] {
            guard value == .null || (value.numberValue.map { $0 >= 0 && $0.rounded() == $0 && $0 <= 2_592_000 } ?? false) else {
                throw EmailSettingsError(
                    .invalidBody, "Payload validation error: urlLifetimeInSeconds must be a whole number of seconds from 0 to 2592000.")
            }
            template.urlLifetimeInSeconds = value.numberValue.map { Int($0) }
        }
        guard template.syntax == nil || template.syntax == "liquid" else {
            throw EmailSettingsError(.invalidBody, "Payload validation error: syntax must be 'liquid'.")
        }
        for (field, value) in [("body", template.body), ("subject", template.subject), ("from", template.from)] {
            guard let value else { continue }
            do {
                try EmailTemplateRenderer.validate(value, field: field)
            } catch {
                throw EmailSettingsError(.invalidTemplate, error.message)
            }
        }
        if let from = template.from, !from.isEmpty, !from.contains("{{") {
            _ = try fromAddress(from, field: "from")
        }
        return template
    }

    /// `addr` or `Name <addr>` as a `MailAddress`.
    static func fromAddress(_ text: String, field: String) throws -> MailAddress {
        var name: String?
        var address = text.trimmingCharacters(in: .whitespaces)
        if address.hasSuffix(">"), let open = address.lastIndex(of: "<") {
            name = address[..<open].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            address = String(address[address.index(after: open)..<address.index(before: address.endIndex)])
        }
        do {
            return try MailAddress(address, displayName: name)
        } catch {
            throw EmailSettingsError(.invalidBody, "Payload validation error: \(field): \(error.message)")
        }
    }
}
