/// Where and how to reach an SMTP server (Auth0's `smtp` provider credentials plus the TLS
/// policy this server applies to them; docs/SECURITY.md, "E-mail delivery").
public struct SMTPConfiguration: Sendable, Equatable {
    /// How the connection is protected.
    public enum Security: Sendable, Equatable {
        /// TLS from the first byte (RFC 8314 §3.3, "implicit TLS", port 465).
        case implicitTLS
        /// Plain connection upgraded with STARTTLS (RFC 3207); the message is refused, as a
        /// permanent failure, when the server does not offer it.
        case startTLSRequired
        /// STARTTLS when the server offers it, otherwise plain text. Never used when
        /// credentials are sent: `SMTPConfiguration.init` upgrades that to `startTLSRequired`.
        case startTLSWhenOffered
    }

    public var host: String
    public var port: Int
    public var username: String?
    /// Sent only after TLS is up; never logged, never part of an error.
    public var password: String?
    public var security: Security
    /// PEM file of extra certificate authorities to trust (a private CA, or a test's
    /// self-signed certificate) besides the system's. Verification itself is never turned off.
    public var trustedCAFile: String?
    /// The name this client gives in `EHLO` (RFC 5321 §4.1.1.1: its own fully qualified name).
    public var clientName: String
    /// Time allowed to open the TCP connection.
    public var connectTimeoutSeconds: Int64
    /// Time allowed for each reply (RFC 5321 §4.5.3.2 suggests minutes; providers answer in
    /// seconds, and a message that waits is retried by the outbox anyway).
    public var replyTimeoutSeconds: Int64

    /// The policy for Auth0-style settings: port 465 is implicit TLS; any other port uses STARTTLS,
    /// required whenever a user name is given (credentials never travel in clear) or `requireTLS`.
    public init(
        host: String, port: Int, username: String? = nil, password: String? = nil, requireTLS: Bool = true,
        trustedCAFile: String? = nil, clientName: String = "localhost", connectTimeoutSeconds: Int64 = 15,
        replyTimeoutSeconds: Int64 = 60
    ) {
        self.host = host
        self.port = port
        self.username = username.flatMap { $0.isEmpty ? nil : $0 }
        self.password = password
        if port == 465 {
            security = .implicitTLS
        } else if requireTLS || self.username != nil {
            security = .startTLSRequired
        } else {
            security = .startTLSWhenOffered
        }
        self.trustedCAFile = trustedCAFile
        self.clientName = clientName
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.replyTimeoutSeconds = replyTimeoutSeconds
    }
}
