import GatehouseCore
import GatehouseStorage

/// The e-mail provider (Auth0 "Management API: Emails", `/api/v2/emails/provider`). Auth0 names
/// ten providers; this server delivers through `smtp` and `custom` (the custom-email-provider
/// action) and refuses the others by name. `credentials.smtp_pass` is write-only: sealed with the
/// master key, never in a response.
extension EmailService {
    /// Every name Auth0 accepts for `name`.
    public static let auth0ProviderNames = [
        "mailgun", "mandrill", "sendgrid", "resend", "ses", "sparkpost", "smtp", "azure_cs", "ms365", "custom",
    ]
    /// The names this server can deliver with.
    public static let supportedProviderNames = ["smtp", "custom"]

    public func provider() async throws -> EmailProviderRecord {
        guard let stored = try await storage.read({ try await $0.email.provider() }) else { throw Self.providerNotFound }
        return stored.record
    }

    /// `POST /api/v2/emails/provider`: the first configuration.
    public func createProvider(_ body: [String: JSONValue]) async throws -> EmailProviderRecord {
        let stored = try Self.provider(from: body, replacing: nil)
        return try await storage.transaction { repositories in
            guard try await repositories.email.provider() == nil else {
                throw EmailSettingsError(
                    .providerExists, "An email provider is already configured; change it with PATCH /api/v2/emails/provider.")
            }
            try await repositories.email.setProvider(stored)
            return stored.record
        }
    }

    /// `PATCH /api/v2/emails/provider`: members left out keep their value; `credentials`, when
    /// given, replaces the stored ones (`smtp_pass` left out keeps the stored password).
    public func updateProvider(_ patch: [String: JSONValue]) async throws -> EmailProviderRecord {
        try await storage.transaction { repositories in
            guard let current = try await repositories.email.provider() else { throw Self.providerNotFound }
            let updated = try Self.provider(from: patch, replacing: current)
            try await repositories.email.setProvider(updated)
            return updated.record
        }
    }

    /// `DELETE /api/v2/emails/provider`; `false` when none was configured.
    public func deleteProvider() async throws -> Bool {
        try await storage.transaction { try await $0.email.deleteProvider() }
    }

    static let providerNotFound = EmailSettingsError(
        .providerNotFound, "No email provider is configured; create one with POST /api/v2/emails/provider.")

    /// The provider a body describes, over `current` for a PATCH. Checks what the schema cannot:
    /// the provider is one this server supports, SMTP has its host, port, user and password, the
    /// from address is an address.
    static func provider(from body: [String: JSONValue], replacing current: StoredEmailProvider?) throws -> StoredEmailProvider {
        let name = body["name"]?.stringValue ?? current?.record.name ?? ""
        guard supportedProviderNames.contains(name) else {
            throw EmailSettingsError(
                .unsupportedProvider,
                "The \(name) email provider is not supported by this server: it delivers through smtp (any SMTP server, including"
                    + " the SMTP endpoints of \(name == "" ? "hosted providers" : name)) or custom (a custom-email-provider action).")
        }
        var record = current?.record ?? EmailProviderRecord(name: name, enabled: true, default_from_address: nil, credentials: nil)
        var password = current?.smtpPassword
        record.name = name
        if let enabled = body["enabled"] { record.enabled = enabled.boolValue ?? record.enabled }
        if let from = body["default_from_address"] {
            if let text = from.stringValue, !text.isEmpty {
                _ = try fromAddress(text, field: "default_from_address")
                record.default_from_address = text
            } else {
                record.default_from_address = nil
            }
        }
        if let settings = body["settings"] { record.settings = settings == .null ? nil : settings }
        if name == "custom" {
            record.credentials = nil
            password = nil
        } else if let credentials = body["credentials"]?.objectValue {
            let port = credentials["smtp_port"]?.numberValue ?? record.credentials.map { Double($0.smtp_port) }
            guard let host = credentials["smtp_host"]?.stringValue ?? record.credentials?.smtp_host, !host.isEmpty,
                !host.contains(where: { $0.isWhitespace || $0 == "/" })
            else {
                throw EmailSettingsError(.invalidBody, "Payload validation error: credentials.smtp_host must be a host name or address.")
            }
            guard let port, port.rounded() == port, (1...65_535).contains(port) else {
                throw EmailSettingsError(.invalidBody, "Payload validation error: credentials.smtp_port must be a port number (1-65535).")
            }
            let user = credentials["smtp_user"].map { $0.stringValue } ?? record.credentials?.smtp_user
            if let pass = credentials["smtp_pass"]?.stringValue { password = pass }
            record.credentials = .init(smtp_host: host, smtp_port: Int(port), smtp_user: user.flatMap { $0.isEmpty ? nil : $0 })
        }
        if name == "smtp" {
            guard record.credentials != nil else {
                throw EmailSettingsError(
                    .invalidBody,
                    "Payload validation error: the smtp provider requires credentials {smtp_host, smtp_port, smtp_user, smtp_pass}.")
            }
            if record.credentials?.smtp_user != nil, password == nil {
                throw EmailSettingsError(.invalidBody, "Payload validation error: credentials.smtp_pass is required with smtp_user.")
            }
        }
        return StoredEmailProvider(record: record, smtpPassword: password)
    }
}
