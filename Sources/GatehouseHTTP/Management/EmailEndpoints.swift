import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Hummingbird

/// The tenant's e-mail provider and templates, as Auth0's Management API serves them
/// (Auth0 "Management API: Emails" `/emails/provider`, "Email Templates"
/// `/email-templates/{templateName}`). The provider's `credentials.smtp_pass` is write-only.
struct EmailEndpoints {
    let services: IdentityServices

    /// Auth0's error for a refusal of the e-mail settings.
    static func apiError(_ error: EmailSettingsError) -> ManagementAPIError {
        switch error.code {
        case .providerNotFound, .templateNotFound: ManagementAPIError.notFound(error.message, errorCode: error.code.rawValue)
        case .providerExists, .templateExists: ManagementAPIError.conflict(error.message, errorCode: error.code.rawValue)
        case .invalidBody: ManagementAPIError.badRequest(error.message)
        case .unsupportedProvider, .invalidTemplate: ManagementAPIError.badRequest(error.message, errorCode: error.code.rawValue)
        }
    }

    static func mapping<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as EmailSettingsError {
            throw apiError(error)
        }
    }

    static let credentialsRequest = JSONSchema.object(
        JSONSchema.ObjectSchema(
            properties: [
                .init(name: "smtp_host", schema: .string(minLength: 1, maxLength: 253)),
                .init(name: "smtp_port", schema: .integer(1...65_535)),
                .init(name: "smtp_user", schema: .string(maxLength: 512)),
                .init(name: "smtp_pass", schema: .string(maxLength: 1024)),
            ]))
    static func providerRequest(required: [String]) -> JSONSchema {
        .object(
            JSONSchema.ObjectSchema(
                properties: [
                    .init(name: "name", schema: .string(EmailService.auth0ProviderNames)),
                    .init(name: "enabled", schema: .boolean),
                    .init(name: "default_from_address", schema: .nullable(.string(maxLength: 320))),
                    .init(name: "credentials", schema: credentialsRequest),
                    .init(name: "settings", schema: .nullable(.map(.any))),
                ], required: required, closed: true))
    }
    static let providerExample: JSONValue = .object([
        "name": "smtp", "enabled": true, "default_from_address": "no-reply@example.com",
        "credentials": .object(["smtp_host": "smtp.example.com", "smtp_port": 587, "smtp_user": "mailer", "smtp_pass": "secret"]),
    ])
    static let providerSchema = JSONSchema.object(
        [
            "name": .string(EmailService.supportedProviderNames), "enabled": .boolean, "default_from_address": .string(),
            "credentials": .object(
                ["smtp_host": .string(), "smtp_port": .integer(), "smtp_user": .string()], required: ["smtp_host", "smtp_port"]),
            "settings": .map(.any),
        ], required: ["name", "enabled"])

    /// The provider as a response: never the password (it is not in the record at all).
    static func providerView(_ record: EmailProviderRecord) -> JSONValue {
        var view: [String: JSONValue] = ["name": .string(record.name), "enabled": .bool(record.enabled)]
        if let from = record.default_from_address { view["default_from_address"] = .string(from) }
        if let credentials = record.credentials {
            var fields: [String: JSONValue] = [
                "smtp_host": .string(credentials.smtp_host), "smtp_port": .number(Double(credentials.smtp_port)),
            ]
            if let user = credentials.smtp_user { fields["smtp_user"] = .string(user) }
            view["credentials"] = .object(fields)
        }
        if let settings = record.settings { view["settings"] = settings }
        return .object(view)
    }

    static func templateRequest(required: [String]) -> JSONSchema {
        .object(
            JSONSchema.ObjectSchema(
                properties: [
                    .init(name: "template", schema: .string(EmailTemplateName.allNames)),
                    .init(name: "body", schema: .nullable(.string(maxLength: 102_400))),
                    .init(name: "from", schema: .nullable(.string(maxLength: 512))),
                    .init(name: "resultUrl", schema: .nullable(.string(maxLength: 2048))),
                    .init(name: "subject", schema: .nullable(.string(maxLength: 998))),
                    .init(name: "syntax", schema: .nullable(.string(["liquid"]))),
                    .init(name: "urlLifetimeInSeconds", schema: .nullable(.integer(0...2_592_000))),
                    .init(name: "includeEmailInRedirect", schema: .boolean),
                    .init(name: "enabled", schema: .nullable(.boolean)),
                ], required: required, closed: true))
    }
    static let templateExample: JSONValue = .object([
        "template": "verify_email", "subject": "Verify your e-mail for {{ application.name }}",
        "body": "<p>Hello {{ user.name }}, <a href=\"{{ url }}\">verify</a>.</p>", "from": "no-reply@example.com",
        "syntax": "liquid", "enabled": true,
    ])

    var endpoints: [ManagementEndpoint] {
        let email = services.email
        return [
            ManagementEndpoint(
                .get, "/emails/provider", scope: "read:email_provider", tag: "emails",
                summary: "Get the email provider (credentials without smtp_pass, which is write-only)",
                response: .value(Self.providerSchema)
            ) { _, _ in
                try JSONResponse.make(Self.providerView(try await Self.mapping { try await email.provider() }))
            },
            ManagementEndpoint(
                .post, "/emails/provider", scope: "create:email_provider", tag: "emails",
                summary: "Configure the email provider: smtp (credentials smtp_host, smtp_port, smtp_user, smtp_pass) or custom"
                    + " (the custom-email-provider action); Auth0's other providers are not supported",
                success: .created,
                request: .init(schema: Self.providerRequest(required: ["name"]), example: Self.providerExample, optional: false),
                response: .value(Self.providerSchema)
            ) { request, context in
                let body = try await context.body([String: JSONValue].self, from: request)
                let record = try await Self.mapping { try await email.createProvider(body) }
                return try JSONResponse.make(Self.providerView(record), status: .created)
            },
            ManagementEndpoint(
                .patch, "/emails/provider", scope: "update:email_provider", tag: "emails",
                summary: "Update the email provider (members left out keep their value; smtp_pass left out is kept)",
                request: .init(
                    schema: Self.providerRequest(required: []), example: .object(["default_from_address": "hello@example.com"]),
                    optional: false),
                response: .value(Self.providerSchema)
            ) { request, context in
                let body = try await context.body([String: JSONValue].self, from: request)
                let record = try await Self.mapping { try await email.updateProvider(body) }
                return try JSONResponse.make(Self.providerView(record))
            },
            ManagementEndpoint(
                .delete, "/emails/provider", scope: "delete:email_provider", tag: "emails", summary: "Delete the email provider",
                success: .noContent
            ) { _, _ in
                guard try await email.deleteProvider() else {
                    throw ManagementAPIError.notFound("No email provider is configured.", errorCode: "inexistent_email_provider")
                }
                return JSONResponse.empty()
            },
            ManagementEndpoint(
                .get, "/email-templates/{templateName}", scope: "read:email_templates", tag: "email-templates",
                summary: "Get an email template (the built-in one for verify_email, reset_email, welcome_email and blocked_account"
                    + " until the tenant sets its own)",
                response: .record(EmailTemplateRecord.self)
            ) { _, context in
                let name = try context.parameter("templateName")
                return try JSONResponse.make(try await Self.mapping { try await email.template(name) })
            },
            ManagementEndpoint(
                .post, "/email-templates", scope: "create:email_templates", tag: "email-templates",
                summary: "Create an email template (Liquid-style {{ variables }}; Liquid tags and filters are refused)",
                success: .created,
                request: .init(schema: Self.templateRequest(required: ["template"]), example: Self.templateExample, optional: false),
                response: .record(EmailTemplateRecord.self)
            ) { request, context in
                let body = try await context.body([String: JSONValue].self, from: request)
                return try JSONResponse.make(try await Self.mapping { try await email.createTemplate(body) }, status: .created)
            },
            ManagementEndpoint(
                .put, "/email-templates/{templateName}", scope: "update:email_templates", tag: "email-templates",
                summary: "Create or replace an email template",
                request: .init(
                    schema: Self.templateRequest(required: ["template", "body", "subject", "syntax", "enabled"]),
                    example: Self.templateExample, optional: false),
                response: .record(EmailTemplateRecord.self)
            ) { request, context in
                let body = try await context.body([String: JSONValue].self, from: request)
                let name = try context.parameter("templateName")
                return try JSONResponse.make(try await Self.mapping { try await email.replaceTemplate(name, body) })
            },
            ManagementEndpoint(
                .patch, "/email-templates/{templateName}", scope: "update:email_templates", tag: "email-templates",
                summary: "Update an email template (members left out keep their value)",
                request: .init(schema: Self.templateRequest(required: []), example: .object(["enabled": true]), optional: false),
                response: .record(EmailTemplateRecord.self)
            ) { request, context in
                let body = try await context.body([String: JSONValue].self, from: request)
                let name = try context.parameter("templateName")
                return try JSONResponse.make(try await Self.mapping { try await email.updateTemplate(name, body) })
            },
        ]
    }
}
