import GatehouseCore

/// The tenant's e-mail provider as Auth0's `/api/v2/emails/provider` shows it. The SMTP password
/// is not part of it: it is stored apart, sealed with the master key, and never read back out
/// through the API (`EmailRepository.provider()` returns it beside the record).
public struct EmailProviderRecord: Codable, Sendable, Equatable {
    /// `smtp` or `custom` (the custom-email-provider action).
    public var name: String
    public var enabled: Bool
    public var default_from_address: String?
    /// `smtp_host`, `smtp_port`, `smtp_user`, never `smtp_pass`.
    public var credentials: SMTPCredentials?
    /// Auth0's provider-specific settings (kept as given; `headers` for SMTP).
    public var settings: JSONValue?

    public struct SMTPCredentials: Codable, Sendable, Equatable {
        public var smtp_host: String
        public var smtp_port: Int
        public var smtp_user: String?

        public init(smtp_host: String, smtp_port: Int, smtp_user: String?) {
            self.smtp_host = smtp_host
            self.smtp_port = smtp_port
            self.smtp_user = smtp_user
        }
    }

    public init(
        name: String, enabled: Bool, default_from_address: String?, credentials: SMTPCredentials?, settings: JSONValue? = nil
    ) {
        self.name = name
        self.enabled = enabled
        self.default_from_address = default_from_address
        self.credentials = credentials
        self.settings = settings
    }
}

/// A stored provider with its password opened (for delivery only).
public struct StoredEmailProvider: Sendable, Equatable {
    public var record: EmailProviderRecord
    public var smtpPassword: String?

    public init(record: EmailProviderRecord, smtpPassword: String?) {
        self.record = record
        self.smtpPassword = smtpPassword
    }
}

/// One e-mail template in Auth0's shape (`/api/v2/email-templates/{templateName}`).
public struct EmailTemplateRecord: Codable, Sendable, Equatable {
    public var template: String
    public var body: String?
    public var from: String?
    public var resultUrl: String?
    public var subject: String?
    public var syntax: String?
    public var urlLifetimeInSeconds: Int?
    public var includeEmailInRedirect: Bool?
    public var enabled: Bool?

    public init(
        template: String, body: String? = nil, from: String? = nil, resultUrl: String? = nil, subject: String? = nil,
        syntax: String? = "liquid", urlLifetimeInSeconds: Int? = nil, includeEmailInRedirect: Bool? = nil, enabled: Bool? = nil
    ) {
        self.template = template
        self.body = body
        self.from = from
        self.resultUrl = resultUrl
        self.subject = subject
        self.syntax = syntax
        self.urlLifetimeInSeconds = urlLifetimeInSeconds
        self.includeEmailInRedirect = includeEmailInRedirect
        self.enabled = enabled
    }
}
