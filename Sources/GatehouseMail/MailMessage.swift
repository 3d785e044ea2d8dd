import Foundation

/// One e-mail to one recipient: an RFC 5322 message with a plain-text and an HTML alternative
/// (RFC 2046 §5.1.4 `multipart/alternative`), as the identity flows send it.
public struct MailMessage: Sendable, Equatable {
    /// The envelope and `From:` address (`no-reply@example.com`).
    public var from: MailAddress
    /// The envelope and `To:` address.
    public var to: MailAddress
    /// The subject, any Unicode; non-ASCII is encoded per RFC 2047.
    public var subject: String
    /// The plain-text alternative.
    public var text: String
    /// The HTML alternative; `nil` sends a `text/plain` message.
    public var html: String?
    /// `Date:`; the time the message is built when `nil`.
    public var date: Date?
    /// `Message-ID:` without the angle brackets (`<id@domain>`); made from random bytes and the
    /// sender's domain when `nil`.
    public var messageID: String?

    public init(
        from: MailAddress, to: MailAddress, subject: String, text: String, html: String? = nil, date: Date? = nil,
        messageID: String? = nil
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.date = date
        self.messageID = messageID
    }
}

/// A mailbox: an address (`jane@example.com`) with an optional display name (`Jane Doe`), as in
/// RFC 5322 §3.4 `name-addr`.
public struct MailAddress: Sendable, Equatable, CustomStringConvertible {
    /// The `addr-spec` (`local@domain`), ASCII only (this client does not speak SMTPUTF8).
    public let address: String
    public let displayName: String?

    /// Checks that `address` can go into an SMTP envelope and a header unchanged: one `@` with
    /// text on both sides, printable ASCII only, no spaces, angle brackets or line breaks (which
    /// would let a value inject commands or headers).
    public init(_ address: String, displayName: String? = nil) throws(MailFormatError) {
        let trimmed = address.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, trimmed.utf8.count <= 254,
            trimmed.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && !"<>()[]\\,;:\"".unicodeScalars.contains($0) })
        else {
            throw MailFormatError(
                "'\(trimmed.prefix(80))' is not an e-mail address this server can send to (expected local@domain in ASCII).")
        }
        if let displayName, displayName.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) {
            throw MailFormatError("A display name may not contain a line break.")
        }
        self.address = trimmed
        self.displayName = displayName.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The domain part, for `Message-ID`.
    public var domain: String { String(address.split(separator: "@").last ?? "localhost") }

    /// The `From:`/`To:` header value: `Name <addr>` with the name quoted or RFC 2047-encoded.
    public var headerValue: String {
        guard let displayName else { return address }
        return "\(MIMEEncoding.phrase(displayName)) <\(address)>"
    }

    public var description: String { headerValue }
}

/// A message that cannot be built (bad address, header value with a line break).
public struct MailFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
