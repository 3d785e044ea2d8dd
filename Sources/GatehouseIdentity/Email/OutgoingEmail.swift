import GatehouseCore

/// A rendered e-mail, ready to deliver: what an outbox row carries between the request that asks
/// for a message (`EmailService.compose`) and the relay that delivers it
/// (`EmailService.deliver`). Codable and self-contained: delivery needs no other state, so a
/// user changed or deleted in between does not change the message, and every retry sends the
/// same bytes with the same `Message-ID`.
public struct OutgoingEmail: Codable, Sendable, Equatable {
    /// Auth0's `message_type` (`verify_email`, `reset_email`, …; `auth0-actions.md` §2.9).
    public var messageType: String
    /// `addr` or `Name <addr>`.
    public var from: String
    public var to: String
    public var subject: String
    public var html: String
    public var text: String
    /// BCP-47 (`en`, `en_US`); `event.notification.locale`.
    public var locale: String?
    /// Unique per message; the `Message-ID` local part and the receiver's idempotency key.
    public var id: String
    /// `event.user` of the custom-email-provider trigger (Auth0's subset).
    public var user: JSONValue?
    /// `event.client`, when an application asked for the message.
    public var client: JSONValue?
    /// `event.connection`.
    public var connection: JSONValue?
    /// `event.request` of the request that asked for the message.
    public var request: JSONValue?

    public init(
        messageType: String, from: String, to: String, subject: String, html: String, text: String, locale: String?, id: String,
        user: JSONValue? = nil, client: JSONValue? = nil, connection: JSONValue? = nil, request: JSONValue? = nil
    ) {
        self.messageType = messageType
        self.from = from
        self.to = to
        self.subject = subject
        self.html = html
        self.text = text
        self.locale = locale
        self.id = id
        self.user = user
        self.client = client
        self.connection = connection
        self.request = request
    }
}

/// How a delivery ended without error.
public enum EmailDeliveryOutcome: Sendable, Equatable {
    /// The SMTP server accepted it, or the custom-email-provider action completed.
    case delivered
    /// The custom-email-provider action called `api.notification.drop(reason)`: not sent, and
    /// never to be sent again (Auth0 logs it as failed without recovery).
    case dropped(reason: String)
}

/// Why a delivery failed. `transient` failures may succeed later (the outbox retries them, at
/// most 5 times for a custom-provider `retry`, as on Auth0); `permanent` ones will not. The
/// message never contains a password.
public struct EmailDeliveryError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case transient
        case permanent
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var isTransient: Bool { kind == .transient }
    public var description: String { message }
}

/// Refusals of the e-mail settings (provider, templates) as the Management API reports them.
public struct EmailSettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalidBody = "invalid_body"
        case unsupportedProvider = "unsupported_email_provider"
        case providerExists = "email_provider_already_exists"
        case providerNotFound = "inexistent_email_provider"
        case templateNotFound = "inexistent_email_template"
        case templateExists = "email_template_already_exists"
        case invalidTemplate = "invalid_email_template"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
