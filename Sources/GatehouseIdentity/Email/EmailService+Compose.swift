import Foundation
import GatehouseCore
import GatehouseMail
import GatehouseStorage

/// What a flow asks to send: which template, to whom, about which user and application, with
/// which link or code.
public struct EmailRequest: Sendable {
    public var template: EmailTemplateName
    public var user: UserRecord
    /// The recipient; the user's e-mail when `nil`.
    public var to: String?
    /// The application the user came from (`{{ application.name }}`, `event.client`).
    public var client: ClientRecord?
    /// `{{ url }}`: the verification, reset or unblock link.
    public var url: String?
    /// `{{ code }}`: for the `…_by_code` templates.
    public var code: String?
    /// BCP-47; `event.notification.locale` and `{{ locale }}`.
    public var locale: String?
    /// The HTTP request that asked for the message (`event.request`).
    public var request: ActionEventRequest?
    /// More variables for the template (e.g. `source_ip` of `blocked_account`).
    public var variables: [String: JSONValue]

    public init(
        template: EmailTemplateName, user: UserRecord, to: String? = nil, client: ClientRecord? = nil, url: String? = nil,
        code: String? = nil, locale: String? = nil, request: ActionEventRequest? = nil, variables: [String: JSONValue] = [:]
    ) {
        self.template = template
        self.user = user
        self.to = to
        self.client = client
        self.url = url
        self.code = code
        self.locale = locale
        self.request = request
        self.variables = variables
    }
}

extension EmailService {
    /// Renders the tenant's template (or the built-in default) for `request`; `nil` when the
    /// template is disabled (`enabled: false`: the tenant does not want this e-mail sent).
    /// Throws `EmailDeliveryError` (permanent) when the message cannot be made: no recipient,
    /// no template, no from address (set `default_from_address` on the provider or `from` on
    /// the template).
    public func compose(_ request: EmailRequest) async throws -> OutgoingEmail? {
        let name = request.template.rawValue
        let (stored, provider) = try await storage.read { repositories in
            (try await repositories.email.template(name), try await repositories.email.provider())
        }
        guard let template = stored ?? EmailTemplateDefaults.template(request.template) else {
            throw EmailDeliveryError(.permanent, "The \(name) email template is not set: create it with POST /api/v2/email-templates.")
        }
        if template.enabled == false { return nil }
        guard let recipient = request.to ?? request.user.email, let to = try? MailAddress(recipient) else {
            throw EmailDeliveryError(
                .permanent, "The \(name) email has no valid recipient (user \(request.user.user_id) has no usable e-mail).")
        }
        let variables = templateVariables(request, provider: provider?.record)
        do {
            let fromTemplate = template.from.flatMap { $0.isEmpty ? nil : $0 }
            let fromText =
                try fromTemplate.map { try EmailTemplateRenderer.render($0, variables: variables, html: false) }
                ?? provider?.record.default_from_address
            guard let fromText, let from = try? Self.fromAddress(fromText, field: "from") else {
                throw EmailDeliveryError(
                    .permanent,
                    "The \(name) email has no valid from address: set default_from_address on the email provider or from on the template.")
            }
            let html = try EmailTemplateRenderer.render(template.body ?? "", variables: variables, html: true)
            let subject = try EmailTemplateRenderer.render(template.subject ?? "", variables: variables, html: false)
            return OutgoingEmail(
                messageType: request.template.messageType, from: from.headerValue, to: to.address, subject: subject, html: html,
                text: EmailTemplateRenderer.plainText(fromHTML: html), locale: request.locale,
                id: RandomIdentifier.hex(byteCount: 16), user: .object(Self.eventUser(request.user)),
                client: request.client.map { client in
                    .object([
                        "client_id": .string(client.client_id), "name": .string(client.name),
                        "metadata": .object(client.client_metadata.mapValues(JSONValue.string)),
                    ])
                },
                connection: .object(["name": .string(request.user.connection), "strategy": "auth0"]),
                request: request.request.map(Self.eventRequest))
        } catch let error as EmailTemplateRenderer.Invalid {
            throw EmailDeliveryError(.permanent, "The \(name) email template cannot be rendered: \(error.message)")
        }
    }

    /// The variables of Auth0's e-mail templates ("Customize Email Templates", common variables).
    func templateVariables(_ request: EmailRequest, provider: EmailProviderRecord?) -> JSONValue {
        var variables: [String: JSONValue] = [
            "user": .object(Self.eventUser(request.user)),
            "tenant": .string(tenant.name), "friendly_name": .string(tenant.friendlyName),
            "connection": .object(["name": .string(request.user.connection)]),
        ]
        let support = tenant.supportEmail ?? provider?.default_from_address
        let optional: [(String, String?)] = [
            ("support_email", support), ("support_url", tenant.supportURL), ("home_url", tenant.homeURL), ("url", request.url),
            ("code", request.code), ("locale", request.locale), ("request_language", request.request?.language),
        ]
        for (key, value) in optional { if let value { variables[key] = .string(value) } }
        if let client = request.client {
            variables["application"] = .object([
                "name": .string(client.name), "clientID": .string(client.client_id), "client_id": .string(client.client_id),
                "clientMetadata": .object(client.client_metadata.mapValues(JSONValue.string)),
            ])
        }
        variables.merge(request.variables) { _, extra in extra }
        return .object(variables)
    }

    /// `event.user` of custom-email-provider (§2.9) and `{{ user }}` of templates: id, e-mail,
    /// names, picture, username, metadata.
    static func eventUser(_ user: UserRecord) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [
            "user_id": .string(user.user_id), "email_verified": .bool(user.email_verified),
            "app_metadata": user.app_metadata.objectValue.map(JSONValue.object) ?? .object([:]),
            "user_metadata": user.user_metadata.objectValue.map(JSONValue.object) ?? .object([:]),
        ]
        let optional: [(String, String?)] = [
            ("email", user.email), ("name", user.name), ("nickname", user.nickname), ("given_name", user.given_name),
            ("family_name", user.family_name), ("picture", user.picture), ("username", user.username),
        ]
        for (key, value) in optional { if let value { fields[key] = .string(value) } }
        return fields
    }

    /// `event.request` of custom-email-provider: `ip`, `hostname`, `user_agent`, `language`,
    /// `query` (no body: it may hold what the user typed).
    static func eventRequest(_ request: ActionEventRequest) -> JSONValue {
        var fields: [String: JSONValue] = ["ip": .string(request.ip)]
        if let hostname = request.hostname { fields["hostname"] = .string(hostname) }
        if let agent = request.userAgent { fields["user_agent"] = .string(agent) }
        if let language = request.language { fields["language"] = .string(language) }
        if let query = request.query { fields["query"] = .object(query.mapValues(JSONValue.string)) }
        return .object(fields)
    }
}
